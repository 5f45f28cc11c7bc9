"""accounts: last_locale, the language mail follows while the person has chosen none

An account's `locale` now holds only a language its person chose; the language their pages were in
when they signed in is kept apart in `last_locale`, which mail uses and pages never do. Existing
`locale` values are left as they are: whether one was chosen or stored automatically on a first
login cannot be told apart afterwards.

Revision ID: eb4869b38d65
Revises: c98b1b5fd520
Create Date: 2026-11-30 07:48:40.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'eb4869b38d65'
down_revision = 'c98b1b5fd520'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_locale', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('last_locale')
