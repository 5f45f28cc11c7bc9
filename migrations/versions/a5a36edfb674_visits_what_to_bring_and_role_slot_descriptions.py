"""visits: what_to_bring; role slots: description (what the role does and brings on the day)

Both are free text, empty by default; an empty slot description shows the role's usual text.

Revision ID: a5a36edfb674
Revises: eb4869b38d65
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5a36edfb674'
down_revision = 'eb4869b38d65'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('what_to_bring', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('role_slot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('role_slot', schema=None) as batch_op:
        batch_op.drop_column('description')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('what_to_bring')
