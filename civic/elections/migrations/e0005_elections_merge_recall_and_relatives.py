"""elections: one head again after recall/by-elections (e0004) and near-relative declarations (e0004_relatives)

Revision ID: e0005
Revises: e0004, e0004_relatives
"""

revision = 'e0005'
down_revision = ('e0004', 'e0004_relatives')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
