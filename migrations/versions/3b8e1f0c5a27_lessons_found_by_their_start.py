"""lessons found by their start: the forecast reads the lessons of the weeks to come

Revision ID: 3b8e1f0c5a27
Revises: 7c2f4d9a0e15
Create Date: 2026-12-02 14:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3b8e1f0c5a27'
down_revision = '7c2f4d9a0e15'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_lesson_starts_at', 'lesson', ['starts_at'], unique=False)


def downgrade():
    op.drop_index('ix_lesson_starts_at', table_name='lesson')
