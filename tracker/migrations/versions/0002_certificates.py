"""certificates, completions, audit log, recertification cycles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_email", sa.String(length=254), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)

    op.create_table(
        "completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("course_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_completions_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_completions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completions")),
        sa.UniqueConstraint("user_id", "course_id", "cycle", name=op.f("uq_completions_user_id_course_id_cycle")),
    )
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_completions_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_completions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("completion_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("learner_name", sa.String(length=120), nullable=False),
        sa.Column("course_title", sa.String(length=200), nullable=False),
        sa.Column("course_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("organisation_name", sa.String(length=200), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("credential", sa.Text(), nullable=True),
        sa.Column("pending_reason", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("renews_id", sa.Integer(), nullable=True),
        sa.Column("reissue_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reissue_request_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_reason IS NULL)", name=op.f("ck_certificates_revocation_has_reason")
        ),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_certificates_revision_positive")),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["completions.id"],
            name=op.f("fk_certificates_completion_id_completions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_certificates_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["renews_id"], ["certificates.id"], name=op.f("fk_certificates_renews_id_certificates"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_certificates_revoked_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["certificates.id"],
            name=op.f("fk_certificates_superseded_by_id_certificates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_certificates_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        sa.UniqueConstraint("completion_id", "revision", name=op.f("uq_certificates_completion_id_revision")),
        sa.UniqueConstraint("pdf_sha256", name=op.f("uq_certificates_pdf_sha256")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_completion_id"), ["completion_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificates_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificates_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("course_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cycle", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("cycle_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("course_progress", schema=None) as batch_op:
        batch_op.drop_column("cycle_started_at")
        batch_op.drop_column("cycle")

    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_user_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_course_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_completion_id"))

    op.drop_table("certificates")
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_completions_user_id"))
        batch_op.drop_index(batch_op.f("ix_completions_course_id"))

    op.drop_table("completions")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
