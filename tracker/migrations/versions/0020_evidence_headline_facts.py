"""the evidence report's headline facts kept per person in the matrix summaries

Revision ID: 0020
Revises: 0018
Create Date: 2027-01-20

"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matrix_people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_completion', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('evidence_overdue', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Every summary marked out of date: the first read recomputes them with the new facts (or run
    # `flask matrix-status rebuild`).
    op.execute("UPDATE matrix_people SET status_until = '1970-01-01 00:00:00'")


def downgrade():
    with op.batch_alter_table('matrix_people', schema=None) as batch_op:
        batch_op.drop_column('evidence_overdue')
        batch_op.drop_column('has_completion')
