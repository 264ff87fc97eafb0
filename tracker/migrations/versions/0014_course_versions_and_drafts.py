"""course versions and drafts

Revision ID: 0014
Revises: 0008
Create Date: 2026-12-02

Every published version of a course kept whole (course file with its comments, normalised content with the
translations, who published it, when, and what changed), and admins' drafts in the structured content editor.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('restored_from', sa.Integer(), nullable=True),
    sa.CheckConstraint('version >= 1', name=op.f('ck_course_versions_version_positive')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_versions_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_course_versions_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_versions')),
    sa.UniqueConstraint('course_id', 'version', name=op.f('uq_course_versions_course_id_version'))
    )
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_versions_course_id'), ['course_id'], unique=False)

    op.create_table('course_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('base_hash', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_drafts_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_drafts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_drafts')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_course_drafts_course_id_user_id'))
    )
    with op.batch_alter_table('course_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_drafts_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_drafts_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('course_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_drafts_user_id'))
        batch_op.drop_index(batch_op.f('ix_course_drafts_course_id'))

    op.drop_table('course_drafts')
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_versions_course_id'))

    op.drop_table('course_versions')
