"""disclosure: items, hash-linked versions, attachments, objections and questions, schedule; full-text search

Revision ID: disclosure0001
Revises:
Create Date: 2026-11-24 22:16:13.756119

Search must work for Chinese, which has no spaces between words: SQLite gets an FTS5 table with the
trigram tokenizer kept in step by triggers; PostgreSQL a pg_trgm GIN index (LIKE/ILIKE use it). Queries
shorter than three characters fall back to LIKE in the application.
"""
from alembic import op
import sqlalchemy as sa
import civic.db


revision = 'disclosure0001'
down_revision = None
branch_labels = ('disclosure',)
depends_on = '0002'

TABLES = ['disclosure_attachment', 'disclosure_version', 'disclosure_feedback', 'disclosure_extension', 'disclosure_item',
          'disclosure_overdue_notice', 'disclosure_obligation', 'disclosure_category_setting']


def upgrade() -> None:
    op.create_table('disclosure_category_setting',
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('requires_review', sa.Boolean(), nullable=False),
    sa.Column('names', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_disclosure_category_setting'))
    )

    op.create_table('disclosure_obligation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('every_months', sa.Integer(), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['registry_community.id'], name=op.f('fk_disclosure_obligation_community_id_registry_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_obligation')),
    sa.UniqueConstraint('community_id', 'category', name=op.f('uq_disclosure_obligation_community_id_category'))
    )
    with op.batch_alter_table('disclosure_obligation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_obligation_community_id'), ['community_id'], unique=False)

    op.create_table('disclosure_overdue_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('notified_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['obligation_id'], ['disclosure_obligation.id'], name=op.f('fk_disclosure_overdue_notice_obligation_id_disclosure_obligation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_overdue_notice')),
    sa.UniqueConstraint('obligation_id', 'period_start', name=op.f('uq_disclosure_overdue_notice_obligation_id_period_start'))
    )
    with op.batch_alter_table('disclosure_overdue_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_overdue_notice_obligation_id'), ['obligation_id'], unique=False)

    op.create_table('disclosure_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('display_from', sa.Date(), nullable=True),
    sa.Column('notice_days', sa.Integer(), nullable=True),
    sa.Column('notice_ends_on', sa.Date(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('is_leaving_audit', sa.Boolean(), nullable=False),
    sa.Column('rules_version_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_reason', sa.String(length=500), nullable=False),
    sa.Column('read_count', sa.Integer(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['registry_community.id'], name=op.f('fk_disclosure_item_community_id_registry_community')),
    sa.ForeignKeyConstraint(['created_by'], ['accounts_user.id'], name=op.f('fk_disclosure_item_created_by_accounts_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_item')),
    sa.UniqueConstraint('community_id', 'year', 'number', name=op.f('uq_disclosure_item_community_id_year_number'))
    )
    with op.batch_alter_table('disclosure_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_item_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_item_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_item_published_on'), ['published_on'], unique=False)

    op.create_table('disclosure_extension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('disclosure_id', sa.Integer(), nullable=False),
    sa.Column('old_end', sa.Date(), nullable=False),
    sa.Column('new_end', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['accounts_user.id'], name=op.f('fk_disclosure_extension_created_by_accounts_user')),
    sa.ForeignKeyConstraint(['disclosure_id'], ['disclosure_item.id'], name=op.f('fk_disclosure_extension_disclosure_id_disclosure_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_extension'))
    )
    with op.batch_alter_table('disclosure_extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_extension_disclosure_id'), ['disclosure_id'], unique=False)

    op.create_table('disclosure_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('disclosure_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('received_from', sa.String(length=100), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['accounts_user.id'], name=op.f('fk_disclosure_feedback_answered_by_accounts_user')),
    sa.ForeignKeyConstraint(['author_id'], ['accounts_user.id'], name=op.f('fk_disclosure_feedback_author_id_accounts_user')),
    sa.ForeignKeyConstraint(['disclosure_id'], ['disclosure_item.id'], name=op.f('fk_disclosure_feedback_disclosure_id_disclosure_item')),
    sa.ForeignKeyConstraint(['recorded_by'], ['accounts_user.id'], name=op.f('fk_disclosure_feedback_recorded_by_accounts_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_feedback'))
    )
    with op.batch_alter_table('disclosure_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_feedback_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_feedback_disclosure_id'), ['disclosure_id'], unique=False)

    op.create_table('disclosure_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('disclosure_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('table_json', sa.Text(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('material', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('intended_on', sa.Date(), nullable=True),
    sa.Column('review_comment', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sealed_by', sa.Integer(), nullable=True),
    sa.Column('sealed_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['accounts_user.id'], name=op.f('fk_disclosure_version_created_by_accounts_user')),
    sa.ForeignKeyConstraint(['disclosure_id'], ['disclosure_item.id'], name=op.f('fk_disclosure_version_disclosure_id_disclosure_item')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['accounts_user.id'], name=op.f('fk_disclosure_version_reviewed_by_accounts_user')),
    sa.ForeignKeyConstraint(['sealed_by'], ['accounts_user.id'], name=op.f('fk_disclosure_version_sealed_by_accounts_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_version')),
    sa.UniqueConstraint('disclosure_id', 'number', name=op.f('uq_disclosure_version_disclosure_id_number'))
    )
    with op.batch_alter_table('disclosure_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_version_disclosure_id'), ['disclosure_id'], unique=False)

    op.create_table('disclosure_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('storage_name', sa.String(length=40), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['disclosure_version.id'], name=op.f('fk_disclosure_attachment_version_id_disclosure_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_attachment'))
    )
    with op.batch_alter_table('disclosure_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_attachment_version_id'), ['version_id'], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE VIRTUAL TABLE disclosure_fts USING fts5(search_text, content='disclosure_item', content_rowid='id', tokenize='trigram')")
        op.execute("""CREATE TRIGGER disclosure_fts_insert AFTER INSERT ON disclosure_item BEGIN
            INSERT INTO disclosure_fts(rowid, search_text) VALUES (new.id, new.search_text); END""")
        op.execute("""CREATE TRIGGER disclosure_fts_delete AFTER DELETE ON disclosure_item BEGIN
            INSERT INTO disclosure_fts(disclosure_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END""")
        op.execute("""CREATE TRIGGER disclosure_fts_update AFTER UPDATE OF search_text ON disclosure_item BEGIN
            INSERT INTO disclosure_fts(disclosure_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
            INSERT INTO disclosure_fts(rowid, search_text) VALUES (new.id, new.search_text); END""")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_disclosure_item_search_trgm ON disclosure_item USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS disclosure_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS disclosure_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_disclosure_item_search_trgm")
    for table in TABLES:
        op.drop_table(table)
