"""matrix tables kept up to date: status per person and course, summary per person, counts per team

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-15

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'matrix_people',
        sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('assigned', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('completion', sa.Integer(), nullable=False),
        sa.Column('n_overdue', sa.Integer(), nullable=False),
        sa.Column('n_expired', sa.Integer(), nullable=False),
        sa.Column('n_expiring', sa.Integer(), nullable=False),
        sa.Column('n_in_progress', sa.Integer(), nullable=False),
        sa.Column('n_not_started', sa.Integer(), nullable=False),
        sa.Column('n_completed', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_matrix_people')),
    )
    with op.batch_alter_table('matrix_people', schema=None) as batch_op:
        batch_op.create_index('ix_matrix_people_name', ['name_key', 'user_id'], unique=False)
        batch_op.create_index('ix_matrix_people_team_name', ['team_id', 'name_key', 'user_id'], unique=False)
        batch_op.create_index('ix_matrix_people_completion', ['completion', 'name_key', 'user_id'], unique=False)
        batch_op.create_index('ix_matrix_people_overdue', ['n_overdue', 'name_key', 'user_id'], unique=False)
        batch_op.create_index('ix_matrix_people_status_until', ['status_until'], unique=False)
        batch_op.create_index('ix_matrix_people_computed_at', ['computed_at'], unique=False)

    op.create_table(
        'matrix_cells',
        sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('course_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('assigned', sa.Boolean(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('user_id', 'course_id', name=op.f('pk_matrix_cells')),
    )
    with op.batch_alter_table('matrix_cells', schema=None) as batch_op:
        batch_op.create_index('ix_matrix_cells_course_status', ['course_id', 'status'], unique=False)

    op.create_table(
        'matrix_tallies',
        sa.Column('scope_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('course_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('assigned', sa.Boolean(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('scope_id', 'course_id', 'status', 'assigned', name=op.f('pk_matrix_tallies')),
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_user_course', ['user_id', 'course_id'], unique=False)

    # Every existing person gets a summary marked out of date: the first read recomputes them (or run
    # `flask matrix-status rebuild`).
    op.execute(
        "INSERT INTO matrix_people (user_id, team_id, active, name_key, assigned, done, completion, n_overdue, "
        "n_expired, n_expiring, n_in_progress, n_not_started, n_completed, computed_at, status_until) "
        "SELECT id, team_id, active, lower(display_name), 0, 0, 100, 0, 0, 0, 0, 0, 0, "
        "'1970-01-01 00:00:00', '1970-01-01 00:00:00' FROM users"
    )


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_user_course')
    op.drop_table('matrix_tallies')
    with op.batch_alter_table('matrix_cells', schema=None) as batch_op:
        batch_op.drop_index('ix_matrix_cells_course_status')
    op.drop_table('matrix_cells')
    with op.batch_alter_table('matrix_people', schema=None) as batch_op:
        for name in ('ix_matrix_people_computed_at', 'ix_matrix_people_status_until', 'ix_matrix_people_overdue',
                     'ix_matrix_people_completion', 'ix_matrix_people_team_name', 'ix_matrix_people_name'):
            batch_op.drop_index(name)
    op.drop_table('matrix_people')
