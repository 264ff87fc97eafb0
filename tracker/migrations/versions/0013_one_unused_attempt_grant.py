"""one unused attempt grant

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-08

At most one unused attempt grant per learner and quiz, so that a double submit of "Allow another attempt" allows
one attempt, not two.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # Grants given twice before the index existed: keep the oldest unused one of each learner and quiz.
    op.execute(
        "DELETE FROM attempt_grants WHERE used_by_attempt_id IS NULL AND EXISTS ("
        " SELECT 1 FROM attempt_grants AS earlier WHERE earlier.user_id = attempt_grants.user_id"
        " AND earlier.quiz_id = attempt_grants.quiz_id AND earlier.used_by_attempt_id IS NULL"
        " AND earlier.id < attempt_grants.id)"
    )
    with op.batch_alter_table('attempt_grants', schema=None) as batch_op:
        batch_op.create_index('uq_attempt_grants_one_unused', ['user_id', 'quiz_id'], unique=True, sqlite_where=sa.text('used_by_attempt_id IS NULL'), postgresql_where=sa.text('used_by_attempt_id IS NULL'))


def downgrade():
    with op.batch_alter_table('attempt_grants', schema=None) as batch_op:
        batch_op.drop_index('uq_attempt_grants_one_unused', sqlite_where=sa.text('used_by_attempt_id IS NULL'), postgresql_where=sa.text('used_by_attempt_id IS NULL'))
