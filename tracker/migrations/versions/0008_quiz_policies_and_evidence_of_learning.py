"""quiz policies and evidence of learning

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Quiz attempt and review policies, one open attempt per learner and quiz, attempts granted by admins, evidence of
learning on completions and lesson reads, the name printed on certificates and requests to change it, and a public
reason for a revocation.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('name_change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('requested_name', sa.String(length=120), nullable=False),
    sa.Column('previous_name', sa.String(length=120), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_name_change_requests_status_valid')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_name_change_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_name_change_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_name_change_requests'))
    )
    with op.batch_alter_table('name_change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_name_change_requests_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_name_change_one_pending', ['user_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('attempt_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('used_by_attempt_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_attempt_grants_granted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_attempt_grants_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['used_by_attempt_id'], ['attempts.id'], name=op.f('fk_attempt_grants_used_by_attempt_id_attempts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attempt_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_grants'))
    )
    with op.batch_alter_table('attempt_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_grants_quiz_id'), ['quiz_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_grants_user_id'), ['user_id'], unique=False)

    # Racing "Start" clicks could leave a learner two open attempts; keep the first, drop the never-answered others.
    op.execute(
        "DELETE FROM attempts WHERE submitted_at IS NULL AND EXISTS ("
        " SELECT 1 FROM attempts AS earlier WHERE earlier.user_id = attempts.user_id"
        " AND earlier.quiz_id = attempts.quiz_id AND earlier.submitted_at IS NULL AND earlier.number < attempts.number)"
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('uq_attempts_one_open', ['user_id', 'quiz_id'], unique=True, sqlite_where=sa.text('submitted_at IS NULL'), postgresql_where=sa.text('submitted_at IS NULL'))

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_public_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('first_opened_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('lesson_reads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cooldown_after_failures', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('review_after_fail', sa.String(length=20), nullable=False, server_default='wrong_questions'))
        batch_op.add_column(sa.Column('review_after_pass', sa.String(length=20), nullable=False, server_default='full'))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_name', sa.String(length=120), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('certificate_name')

    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('review_after_pass')
        batch_op.drop_column('review_after_fail')
        batch_op.drop_column('cooldown_after_failures')

    with op.batch_alter_table('lesson_reads', schema=None) as batch_op:
        batch_op.drop_column('opened_at')

    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_column('first_opened_at')
        batch_op.drop_column('attempts')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('revoked_public_reason')

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('uq_attempts_one_open', sqlite_where=sa.text('submitted_at IS NULL'), postgresql_where=sa.text('submitted_at IS NULL'))

    with op.batch_alter_table('attempt_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_grants_user_id'))
        batch_op.drop_index(batch_op.f('ix_attempt_grants_quiz_id'))

    op.drop_table('attempt_grants')
    with op.batch_alter_table('name_change_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_name_change_one_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_name_change_requests_user_id'))

    op.drop_table('name_change_requests')
