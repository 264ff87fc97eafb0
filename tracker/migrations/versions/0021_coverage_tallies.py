"""coverage counts kept per team: cells per column and status, people per worst status, by job role and statuses

Revision ID: 0021
Revises: 0020
Create Date: 2027-01-27

"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'coverage_tallies',
        sa.Column('scope_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('column_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('job_role', sa.String(length=120), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('statuses', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            'scope_id', 'column_id', 'job_role', 'status', 'statuses', name=op.f('pk_coverage_tallies')
        ),
    )
    # Counted from the coverage rows as they stand (each team with the teams below it, then the organisation;
    # column -1: people by their worst status), so the page reads them at once; later changes move them.
    op.execute(
        """INSERT INTO coverage_tallies (scope_id, column_id, job_role, status, statuses, people)
        WITH RECURSIVE ancestry(team_id, ancestor_id) AS (
            SELECT id, id FROM teams
            UNION ALL
            SELECT an.team_id, t.parent_id FROM ancestry an JOIN teams t ON t.id = an.ancestor_id
            WHERE t.parent_id IS NOT NULL
        ),
        counts(team_id, column_id, job_role, status, statuses, people) AS (
            SELECT p.team_id, c.column_id, COALESCE(p.job_role, ''), c.status, p.statuses, COUNT(*)
            FROM coverage_cells c JOIN coverage_people p ON p.user_id = c.user_id
            GROUP BY p.team_id, c.column_id, COALESCE(p.job_role, ''), c.status, p.statuses
            UNION ALL
            SELECT team_id, -1, COALESCE(job_role, ''), status, statuses, COUNT(*) FROM coverage_people
            GROUP BY team_id, COALESCE(job_role, ''), status, statuses
        )
        SELECT an.ancestor_id, co.column_id, co.job_role, co.status, co.statuses, SUM(co.people)
        FROM counts co JOIN ancestry an ON an.team_id = co.team_id
        GROUP BY an.ancestor_id, co.column_id, co.job_role, co.status, co.statuses
        UNION ALL
        SELECT 0, column_id, job_role, status, statuses, SUM(people) FROM counts
        GROUP BY column_id, job_role, status, statuses"""
    )


def downgrade():
    op.drop_table('coverage_tallies')
