"""core: the audit log's entries of a community, newest first, from an index

A supervisor's audit log shows the newest entries of the communities they oversee: with the community's id
alone indexed, every entry of those communities was sorted for each page (57 ms for a street office of a
district's demo data, and growing with the years). (community_id, seq) replaces the index on community_id.

Revision ID: 0004
Revises: 0003
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_community_seq', ['community_id', 'seq'], unique=False)
        batch_op.drop_index(batch_op.f('ix_audit_entry_community_id'))


def downgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_community_id'), ['community_id'], unique=False)
        batch_op.drop_index('ix_audit_entry_community_seq')
