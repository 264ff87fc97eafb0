"""ai literacy programme

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-01

The inventory of AI systems (with the teams and job roles that use them, and a history of changes), training
requirements per AI system and/or job role and the assignments that follow from them, versioned policies and
their immutable acknowledgements, the privacy settings, and the retention mark on attempts.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0013'
branch_labels = None
depends_on = None

# The database refuses to change an acknowledgement (the same statements are in tracker/models/programme.py).
IMMUTABLE = {
    "sqlite": [
        "CREATE TRIGGER policy_acknowledgements_no_update BEFORE UPDATE ON policy_acknowledgements "
        "BEGIN SELECT RAISE(ABORT, 'policy_acknowledgements are immutable'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION policy_acknowledgements_immutable() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'policy_acknowledgements are immutable'; END $$",
        "CREATE TRIGGER policy_acknowledgements_immutable BEFORE UPDATE ON policy_acknowledgements "
        "FOR EACH ROW EXECUTE FUNCTION policy_acknowledgements_immutable()",
    ],
}
DROP_IMMUTABLE = {
    "sqlite": ["DROP TRIGGER IF EXISTS policy_acknowledgements_no_update"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS policy_acknowledgements_immutable ON policy_acknowledgements",
        "DROP FUNCTION IF EXISTS policy_acknowledgements_immutable()",
    ],
}


def upgrade():
    op.create_table('ai_systems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('vendor', sa.String(length=120), nullable=False),
    sa.Column('organisation_role', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('risk_class', sa.String(length=16), nullable=False),
    sa.Column('risk_note', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('data_classes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("organisation_role IN ('provider', 'deployer', 'both')", name=op.f('ck_ai_systems_organisation_role_valid')),
    sa.CheckConstraint("risk_class IN ('not_assessed', 'prohibited', 'high_risk', 'transparency', 'minimal')", name=op.f('ck_ai_systems_risk_class_valid')),
    sa.CheckConstraint("status IN ('pilot', 'approved', 'retired')", name=op.f('ck_ai_systems_status_valid')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_ai_systems_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_systems')),
    sa.UniqueConstraint('name', name=op.f('uq_ai_systems_name'))
    )
    with op.batch_alter_table('ai_systems', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ai_systems_owner_id'), ['owner_id'], unique=False)

    op.create_table('policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_policies_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policies')),
    sa.UniqueConstraint('slug', name=op.f('uq_policies_slug'))
    )
    op.create_table('privacy_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manager_visibility', sa.String(length=24), nullable=False),
    sa.Column('aggregate_min_people', sa.Integer(), nullable=False),
    sa.Column('pseudonymise_exports', sa.Boolean(), nullable=False),
    sa.Column('attempt_retention_months', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("manager_visibility IN ('status_and_score', 'status_only')", name=op.f('ck_privacy_settings_manager_visibility_valid')),
    sa.CheckConstraint('aggregate_min_people BETWEEN 0 AND 1000', name=op.f('ck_privacy_settings_aggregate_min_people_range')),
    sa.CheckConstraint('attempt_retention_months IS NULL OR attempt_retention_months BETWEEN 1 AND 240', name=op.f('ck_privacy_settings_retention_range')),
    sa.CheckConstraint('id = 1', name=op.f('ck_privacy_settings_single_row')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_privacy_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_settings'))
    )
    op.create_table('ai_system_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_email', sa.String(length=254), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ai_system_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['system_id'], ['ai_systems.id'], name=op.f('fk_ai_system_changes_system_id_ai_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_system_changes'))
    )
    with op.batch_alter_table('ai_system_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ai_system_changes_system_id'), ['system_id'], unique=False)

    op.create_table('ai_system_job_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('job_role', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['system_id'], ['ai_systems.id'], name=op.f('fk_ai_system_job_roles_system_id_ai_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_system_job_roles')),
    sa.UniqueConstraint('system_id', 'job_role', name=op.f('uq_ai_system_job_roles_system_id_job_role'))
    )
    with op.batch_alter_table('ai_system_job_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ai_system_job_roles_job_role'), ['job_role'], unique=False)
        batch_op.create_index(batch_op.f('ix_ai_system_job_roles_system_id'), ['system_id'], unique=False)

    op.create_table('ai_system_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['system_id'], ['ai_systems.id'], name=op.f('fk_ai_system_teams_system_id_ai_systems'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_ai_system_teams_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_system_teams')),
    sa.UniqueConstraint('system_id', 'team_id', name=op.f('uq_ai_system_teams_system_id_team_id'))
    )
    with op.batch_alter_table('ai_system_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ai_system_teams_system_id'), ['system_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ai_system_teams_team_id'), ['team_id'], unique=False)

    op.create_table('policy_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('change_note', sa.Text(), nullable=False),
    sa.Column('check_question', sa.Text(), nullable=True),
    sa.Column('check_choices', sa.JSON(), nullable=False),
    sa.Column('check_answer', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(check_question IS NULL) = (check_answer IS NULL)', name=op.f('ck_policy_versions_check_question_has_answer')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_policy_versions_number_positive')),
    sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_policy_versions_policy_id_policies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_policy_versions_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_versions')),
    sa.UniqueConstraint('policy_id', 'number', name=op.f('uq_policy_versions_policy_id_number'))
    )
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_versions_policy_id'), ['policy_id'], unique=False)

    op.create_table('training_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=True),
    sa.Column('job_role', sa.String(length=120), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('path_id', sa.Integer(), nullable=True),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('due_days', sa.Integer(), nullable=False),
    sa.Column('scope_key', sa.String(length=160), nullable=False),
    sa.Column('item_key', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(CASE WHEN course_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN path_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN policy_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_training_requirements_one_item')),
    sa.CheckConstraint('due_days BETWEEN 0 AND 3650', name=op.f('ck_training_requirements_due_days_range')),
    sa.CheckConstraint('system_id IS NOT NULL OR job_role IS NOT NULL', name=op.f('ck_training_requirements_has_scope')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_training_requirements_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_training_requirements_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['path_id'], ['learning_paths.id'], name=op.f('fk_training_requirements_path_id_learning_paths'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_training_requirements_policy_id_policies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['system_id'], ['ai_systems.id'], name=op.f('fk_training_requirements_system_id_ai_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_requirements')),
    sa.UniqueConstraint('scope_key', 'item_key', name=op.f('uq_training_requirements_scope_key_item_key'))
    )
    with op.batch_alter_table('training_requirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_requirements_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_requirements_job_role'), ['job_role'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_requirements_path_id'), ['path_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_requirements_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_requirements_system_id'), ['system_id'], unique=False)

    op.create_table('policy_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('check_passed', sa.Boolean(), nullable=True),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_policy_acknowledgements_policy_id_policies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_policy_acknowledgements_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['policy_versions.id'], name=op.f('fk_policy_acknowledgements_version_id_policy_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_acknowledgements')),
    sa.UniqueConstraint('user_id', 'version_id', name=op.f('uq_policy_acknowledgements_user_id_version_id'))
    )
    with op.batch_alter_table('policy_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_acknowledgements_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_acknowledgements_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_acknowledgements_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requirement_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_assignments_requirement_id'), ['requirement_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_assignments_requirement_id_training_requirements'), 'training_requirements', ['requirement_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details_removed_at', sa.DateTime(timezone=True), nullable=True))

    for statement in IMMUTABLE.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in DROP_IMMUTABLE.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('details_removed_at')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assignments_requirement_id_training_requirements'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_assignments_requirement_id'))
        batch_op.drop_column('requirement_id')

    with op.batch_alter_table('policy_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_acknowledgements_version_id'))
        batch_op.drop_index(batch_op.f('ix_policy_acknowledgements_user_id'))
        batch_op.drop_index(batch_op.f('ix_policy_acknowledgements_policy_id'))

    op.drop_table('policy_acknowledgements')
    with op.batch_alter_table('training_requirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_requirements_system_id'))
        batch_op.drop_index(batch_op.f('ix_training_requirements_policy_id'))
        batch_op.drop_index(batch_op.f('ix_training_requirements_path_id'))
        batch_op.drop_index(batch_op.f('ix_training_requirements_job_role'))
        batch_op.drop_index(batch_op.f('ix_training_requirements_course_id'))

    op.drop_table('training_requirements')
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_versions_policy_id'))

    op.drop_table('policy_versions')
    with op.batch_alter_table('ai_system_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ai_system_teams_team_id'))
        batch_op.drop_index(batch_op.f('ix_ai_system_teams_system_id'))

    op.drop_table('ai_system_teams')
    with op.batch_alter_table('ai_system_job_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ai_system_job_roles_system_id'))
        batch_op.drop_index(batch_op.f('ix_ai_system_job_roles_job_role'))

    op.drop_table('ai_system_job_roles')
    with op.batch_alter_table('ai_system_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ai_system_changes_system_id'))

    op.drop_table('ai_system_changes')
    op.drop_table('privacy_settings')
    op.drop_table('policies')
    with op.batch_alter_table('ai_systems', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ai_systems_owner_id'))

    op.drop_table('ai_systems')
