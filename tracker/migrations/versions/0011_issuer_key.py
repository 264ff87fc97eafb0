"""the issuer key credentials are signed with, recorded on first use

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'issuer_keys',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('public_key_multibase', sa.String(length=64), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_issuer_keys_one_key')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_issuer_keys')),
    )


def downgrade():
    op.drop_table('issuer_keys')
