"""disclosure: an index on a version's state

The oversight page lists the versions waiting for review across every community the supervisor oversees:
without it, a district's 28,000 notices were read through to find the few in review (bench: /disclosure/manage/overdue).

Revision ID: disclosure0002
Revises: disclosure0001
"""
from alembic import op


revision = 'disclosure0002'
down_revision = 'disclosure0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('disclosure_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_version_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('disclosure_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_version_state'))
