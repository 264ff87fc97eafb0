"""coverage kept up to date: a status per person and AI system (or job role), and a summary per person

Revision ID: 0019
Revises: 0018
Create Date: 2027-01-20

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'coverage_people',
        sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('job_role', sa.String(length=120), nullable=True),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('statuses', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_coverage_people')),
    )
    with op.batch_alter_table('coverage_people', schema=None) as batch_op:
        batch_op.create_index('ix_coverage_people_name', ['name_key', 'user_id'], unique=False)
        batch_op.create_index('ix_coverage_people_team_name', ['team_id', 'name_key', 'user_id'], unique=False)
        batch_op.create_index('ix_coverage_people_role_status', ['job_role', 'status'], unique=False)

    op.create_table(
        'coverage_cells',
        sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('column_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('missing', sa.Text(), nullable=False),
        sa.Column('expiring', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('user_id', 'column_id', name=op.f('pk_coverage_cells')),
    )
    with op.batch_alter_table('coverage_cells', schema=None) as batch_op:
        batch_op.create_index('ix_coverage_cells_column_status', ['column_id', 'status', 'user_id'], unique=False)

    # Every person's matrix summary is marked out of date: the first read recomputes them, and their coverage
    # with them (or run `flask matrix-status rebuild`).
    op.execute("UPDATE matrix_people SET status_until = '1970-01-01 00:00:00'")


def downgrade():
    with op.batch_alter_table('coverage_cells', schema=None) as batch_op:
        batch_op.drop_index('ix_coverage_cells_column_status')
    op.drop_table('coverage_cells')
    with op.batch_alter_table('coverage_people', schema=None) as batch_op:
        for name in ('ix_coverage_people_role_status', 'ix_coverage_people_team_name', 'ix_coverage_people_name'):
            batch_op.drop_index(name)
    op.drop_table('coverage_people')
