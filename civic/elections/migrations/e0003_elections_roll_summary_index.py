"""elections: an index for the election page's roll summary

The page counts the listed voters per residents' group and the absences (queries.roll_summary): with ten
thousand voters, a scan of the election's roll rows on every view. This index answers both from the index
alone (bench/pages.py at district scale).

Revision ID: e0003
Revises: e0002
"""
from alembic import op


revision = 'e0003'
down_revision = 'e0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('elections_roll', schema=None) as batch_op:
        batch_op.create_index('ix_elections_roll_summary', ['election_id', 'listed', 'excluded_from_base', 'group_name'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('elections_roll', schema=None) as batch_op:
        batch_op.drop_index('ix_elections_roll_summary')
