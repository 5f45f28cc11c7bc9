"""certificates of volunteer hours

Revision ID: 9d2e4b6a1c38
Revises: dd428aa4b931
Create Date: 2026-11-30 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d2e4b6a1c38'
down_revision = 'dd428aa4b931'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hours_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_hours_certificate_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_certificate')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_hours_certificate_token_hash'))
    )
    with op.batch_alter_table('hours_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hours_certificate_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('hours_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hours_certificate_user_id'))
    op.drop_table('hours_certificate')
