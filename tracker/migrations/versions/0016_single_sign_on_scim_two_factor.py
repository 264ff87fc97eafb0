"""single sign-on identities and used nonces, SCIM-provisioned people and teams, two-factor credentials and
recovery codes

Revision ID: 0016
Revises: 0008
Create Date: 2026-12-14

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'external_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_external_identities_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_identities')),
        sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_external_identities_issuer_subject')),
    )
    with op.batch_alter_table('external_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_identities_user_id'), ['user_id'], unique=False)

    op.create_table(
        'single_sign_on_sessions',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('id_token', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['session_id'], ['user_sessions.id'], name=op.f('fk_single_sign_on_sessions_session_id_user_sessions'),
            ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('session_id', name=op.f('pk_single_sign_on_sessions')),
    )
    op.create_table(
        'used_sign_in_nonces',
        sa.Column('nonce_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('nonce_hash', name=op.f('pk_used_sign_in_nonces')),
    )
    with op.batch_alter_table('used_sign_in_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_sign_in_nonces_used_at'), ['used_at'], unique=False)

    op.create_table(
        'provisioned_users',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=True),
        sa.Column('user_name', sa.String(length=255), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_provisioned_users_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_provisioned_users')),
        sa.UniqueConstraint('user_name', name=op.f('uq_provisioned_users_user_name')),
    )
    op.create_table(
        'provisioned_teams',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['team_id'], ['teams.id'], name=op.f('fk_provisioned_teams_team_id_teams'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('team_id', name=op.f('pk_provisioned_teams')),
    )
    op.create_table(
        'two_factor_credentials',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_encrypted', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_step', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_two_factor_credentials_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_two_factor_credentials')),
    )
    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
        sa.UniqueConstraint('user_id', 'code_hash', name=op.f('uq_recovery_codes_user_id_code_hash')),
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')
    op.drop_table('two_factor_credentials')
    op.drop_table('provisioned_teams')
    op.drop_table('provisioned_users')
    with op.batch_alter_table('used_sign_in_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_sign_in_nonces_used_at'))
    op.drop_table('used_sign_in_nonces')
    op.drop_table('single_sign_on_sessions')
    with op.batch_alter_table('external_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_identities_user_id'))
    op.drop_table('external_identities')
