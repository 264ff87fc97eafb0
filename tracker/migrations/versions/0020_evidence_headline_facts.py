"""the evidence report's headline facts kept per person in the matrix summaries

Revision ID: 0020
Revises: 0019
Create Date: 2027-01-20

"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matrix_people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_completion', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('evidence_overdue', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The counts of people per team (course 0) as the summaries stand, without the new facts yet; then every
    # summary marked out of date: the first read recomputes them and moves the counts by the difference (or run
    # `flask matrix-status rebuild`).
    op.execute(
        """INSERT INTO matrix_tallies (scope_id, course_id, status, assigned, people)
        WITH RECURSIVE ancestry(team_id, ancestor_id) AS (
            SELECT id, id FROM teams
            UNION ALL
            SELECT an.team_id, t.parent_id FROM ancestry an JOIN teams t ON t.id = an.ancestor_id
            WHERE t.parent_id IS NOT NULL
        ),
        counts(team_id, status, people) AS (
            SELECT team_id, CASE WHEN active THEN 'active' ELSE 'inactive' END, COUNT(*) FROM matrix_people
            GROUP BY team_id, active
        )
        SELECT an.ancestor_id, 0, co.status, FALSE, SUM(co.people)
        FROM counts co JOIN ancestry an ON an.team_id = co.team_id GROUP BY an.ancestor_id, co.status
        UNION ALL
        SELECT 0, 0, status, FALSE, SUM(people) FROM counts GROUP BY status"""
    )
    op.execute("UPDATE matrix_people SET status_until = '1970-01-01 00:00:00'")


def downgrade():
    op.execute("DELETE FROM matrix_tallies WHERE course_id = 0")
    with op.batch_alter_table('matrix_people', schema=None) as batch_op:
        batch_op.drop_column('evidence_overdue')
        batch_op.drop_column('has_completion')
