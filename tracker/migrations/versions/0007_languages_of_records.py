"""the language of attempts, completions and certificates

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TABLES = ('attempts', 'completions', 'certificates')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default='en'))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('language')
