"""core: page cache generations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 01:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table(
        'core_generation',
        sa.Column('scope', sa.String(length=20), nullable=False),
        sa.Column('counter', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_core_generation')),
    )


def downgrade() -> None:
    op.drop_table('core_generation')
