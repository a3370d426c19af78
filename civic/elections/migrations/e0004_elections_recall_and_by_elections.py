"""elections: recall requests, vacancies, by-elections

Revision ID: e0004
Revises: e0003
Create Date: 2026-11-25 00:41:50.623646
"""
from alembic import op
import sqlalchemy as sa
import civic.db


revision = 'e0004'
down_revision = 'e0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('elections_recall',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('origin_election_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('base', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('vote_election_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['registry_community.id'], name=op.f('fk_elections_recall_community_id_registry_community')),
    sa.ForeignKeyConstraint(['created_by'], ['accounts_user.id'], name=op.f('fk_elections_recall_created_by_accounts_user')),
    sa.ForeignKeyConstraint(['origin_election_id'], ['elections_election.id'], name=op.f('fk_elections_recall_origin_election_id_elections_election')),
    sa.ForeignKeyConstraint(['vote_election_id'], ['elections_election.id'], name=op.f('fk_elections_recall_vote_election_id_elections_election')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elections_recall'))
    )
    with op.batch_alter_table('elections_recall', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elections_recall_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_elections_recall_origin_election_id'), ['origin_election_id'], unique=False)

    op.create_table('elections_recall_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recall_id', sa.Integer(), nullable=False),
    sa.Column('roll_entry_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['recall_id'], ['elections_recall.id'], name=op.f('fk_elections_recall_signature_recall_id_elections_recall')),
    sa.ForeignKeyConstraint(['recorded_by'], ['accounts_user.id'], name=op.f('fk_elections_recall_signature_recorded_by_accounts_user')),
    sa.ForeignKeyConstraint(['roll_entry_id'], ['elections_roll.id'], name=op.f('fk_elections_recall_signature_roll_entry_id_elections_roll')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elections_recall_signature')),
    sa.UniqueConstraint('recall_id', 'roll_entry_id', name=op.f('uq_elections_recall_signature_recall_id_roll_entry_id'))
    )
    with op.batch_alter_table('elections_recall_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elections_recall_signature_recall_id'), ['recall_id'], unique=False)

    op.create_table('elections_recall_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recall_id', sa.Integer(), nullable=False),
    sa.Column('member_key', sa.String(length=60), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('section_key', sa.String(length=20), nullable=False),
    sa.Column('section_title', sa.String(length=50), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('replied_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('vote_candidate', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['recall_id'], ['elections_recall.id'], name=op.f('fk_elections_recall_target_recall_id_elections_recall')),
    sa.ForeignKeyConstraint(['resident_id'], ['registry_resident.id'], name=op.f('fk_elections_recall_target_resident_id_registry_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elections_recall_target')),
    sa.UniqueConstraint('recall_id', 'member_key', name=op.f('uq_elections_recall_target_recall_id_member_key'))
    )
    with op.batch_alter_table('elections_recall_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elections_recall_target_recall_id'), ['recall_id'], unique=False)

    op.create_table('elections_vacancy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('section_key', sa.String(length=20), nullable=False),
    sa.Column('section_title', sa.String(length=50), nullable=False),
    sa.Column('member_key', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('recall_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('by_election_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_election_id'], ['elections_election.id'], name=op.f('fk_elections_vacancy_by_election_id_elections_election')),
    sa.ForeignKeyConstraint(['election_id'], ['elections_election.id'], name=op.f('fk_elections_vacancy_election_id_elections_election')),
    sa.ForeignKeyConstraint(['recall_id'], ['elections_recall.id'], name=op.f('fk_elections_vacancy_recall_id_elections_recall')),
    sa.ForeignKeyConstraint(['recorded_by'], ['accounts_user.id'], name=op.f('fk_elections_vacancy_recorded_by_accounts_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elections_vacancy'))
    )
    with op.batch_alter_table('elections_vacancy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elections_vacancy_election_id'), ['election_id'], unique=False)

    with op.batch_alter_table('elections_election', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('term_ends_on', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('elections_election', schema=None) as batch_op:
        batch_op.drop_column('term_ends_on')
        batch_op.drop_column('parent_id')

    with op.batch_alter_table('elections_vacancy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elections_vacancy_election_id'))

    op.drop_table('elections_vacancy')
    with op.batch_alter_table('elections_recall_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elections_recall_target_recall_id'))

    op.drop_table('elections_recall_target')
    with op.batch_alter_table('elections_recall_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elections_recall_signature_recall_id'))

    op.drop_table('elections_recall_signature')
    with op.batch_alter_table('elections_recall', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elections_recall_origin_election_id'))
        batch_op.drop_index(batch_op.f('ix_elections_recall_community_id'))

    op.drop_table('elections_recall')
