"""the audit log indexed by what an event is about

Revision ID: 0022
Revises: 0021
Create Date: 2027-02-02

"""
from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_events_target', 'audit_events', ['target_type', 'target_id'], unique=False)


def downgrade():
    op.drop_index('ix_audit_events_target', table_name='audit_events')
