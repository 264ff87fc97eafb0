"""several managers per team: the team_managers association, filled from teams.manager_id, which it replaces

Revision ID: 0018
Revises: 0017
Create Date: 2027-01-10

"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'team_managers',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['team_id'], ['teams.id'], name=op.f('fk_team_managers_team_id_teams'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_team_managers_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_managers')),
    )
    with op.batch_alter_table('team_managers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_managers_user_id'), ['user_id'], unique=False)

    # Each team's one manager becomes its first entry.
    op.execute(
        'INSERT INTO team_managers (team_id, user_id) SELECT id, manager_id FROM teams WHERE manager_id IS NOT NULL'
    )

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_teams_manager_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_teams_manager_id'))
        batch_op.drop_column('manager_id')


def downgrade():
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manager_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_teams_manager_id'), ['manager_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_teams_manager_id_users'), 'users', ['manager_id'], ['id'], ondelete='SET NULL'
        )
    # One manager per team again: the one with the lowest id is kept.
    op.execute(
        'UPDATE teams SET manager_id = (SELECT MIN(user_id) FROM team_managers WHERE team_managers.team_id = teams.id)'
    )
    with op.batch_alter_table('team_managers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_managers_user_id'))
    op.drop_table('team_managers')
