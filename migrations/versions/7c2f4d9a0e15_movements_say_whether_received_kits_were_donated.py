"""movements say whether received kits were donated or bought; a visit's shipments found by an index

Every existing movement counts as donated, which is what the app assumed before; the hash chain stays valid
(kits.ledger writes `donated` into a movement's canonical form only when it is false).

Revision ID: 7c2f4d9a0e15
Revises: 1d324c6471df
Create Date: 2026-11-30 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2f4d9a0e15'
down_revision = '1d324c6471df'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases: a batch operation would make SQLite copy and drop `movement`, which the
# foreign keys of its lots and trails forbid (SQLite adds a NOT NULL column with a constant default in place,
# and drops one since 3.35).


def upgrade():
    op.add_column('movement', sa.Column('donated', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_index('ix_movement_visit_kind', 'movement', ['visit_id', 'kind'], unique=False)


def downgrade():
    op.drop_index('ix_movement_visit_kind', table_name='movement')
    op.execute('ALTER TABLE movement DROP COLUMN donated')
