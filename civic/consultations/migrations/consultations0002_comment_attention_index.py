"""consultations: a partial index of the comments a moderator has to look at

The moderation queue and the list of hidden comments looked through every comment of a community's
consultations (a district's 10,000-comment threads: 3.5 ms a query) for the few reported or hidden ones.

Revision ID: consultations0002
Revises: consultations0001
"""
import sqlalchemy as sa
from alembic import op


revision = 'consultations0002'
down_revision = 'consultations0001'
branch_labels = None
depends_on = None

ATTENTION = "reports > 0 OR state <> 'visible'"  # as civic.consultations.models.ATTENTION at this revision


def upgrade() -> None:
    op.create_index('ix_consultations_comment_attention', 'consultations_comment', ['consultation_id', 'id'], unique=False,
                    sqlite_where=sa.text(ATTENTION), postgresql_where=sa.text(ATTENTION))


def downgrade() -> None:
    op.drop_index('ix_consultations_comment_attention', table_name='consultations_comment')
