"""calendar feeds; signups: revision (the calendar SEQUENCE of a person's status); schools and accounts: updated_at

A feed's change stamp reads the time of the last change of what it shows: a school's name and address,
people's names and phones. Existing rows take their creation time.

Revision ID: 3c5d1e7a9b20
Revises: 68ff1718e29c
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c5d1e7a9b20'
down_revision = '68ff1718e29c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('personal', 'school', 'company', name='calendar_feed_kind', native_enum=False, length=30), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('rotated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_calendar_feed_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('user_id', 'kind', 'target_id', name='uq_calendar_feed_user_kind_target')
    )
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_token_hash'), ['token_hash'], unique=True)

    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))

    for table in ('school', 'user_account'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        op.execute(f'UPDATE {table} SET updated_at = created_at')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('updated_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    for table in ('user_account', 'school'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('updated_at')
    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.drop_column('revision')
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_token_hash'))
    op.drop_table('calendar_feed')
