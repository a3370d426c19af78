"""elections: near-relative declarations between residents (E3, E8, E9)

The first table linked candidates only and nothing wrote to it. Relations are now declared between any two
residents of the community (candidates, committee members, callers, counters, scrutineers), with their source
and who declared them; the pair is stored once per election.

Revision ID: e0004_relatives
Revises: e0003
"""
import sqlalchemy as sa
from alembic import op

from civic.db import UTCDateTime

revision = 'e0004_relatives'
down_revision = 'e0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('elections_relation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elections_relation_election_id'))
    op.drop_table('elections_relation')
    op.create_table('elections_relation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('a_resident_id', sa.Integer(), nullable=False),
    sa.Column('b_resident_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('declared_by', sa.Integer(), nullable=True),
    sa.Column('declared_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['a_resident_id'], ['registry_resident.id'], name=op.f('fk_elections_relation_a_resident_id_registry_resident')),
    sa.ForeignKeyConstraint(['b_resident_id'], ['registry_resident.id'], name=op.f('fk_elections_relation_b_resident_id_registry_resident')),
    sa.ForeignKeyConstraint(['declared_by'], ['accounts_user.id'], name=op.f('fk_elections_relation_declared_by_accounts_user')),
    sa.ForeignKeyConstraint(['election_id'], ['elections_election.id'], name=op.f('fk_elections_relation_election_id_elections_election')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elections_relation')),
    sa.UniqueConstraint('election_id', 'a_resident_id', 'b_resident_id', name=op.f('uq_elections_relation_election_id_a_resident_id_b_resident_id'))
    )
    with op.batch_alter_table('elections_relation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elections_relation_election_id'), ['election_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('elections_relation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elections_relation_election_id'))
    op.drop_table('elections_relation')
    op.create_table('elections_relation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('a_candidate_id', sa.Integer(), nullable=False),
    sa.Column('b_candidate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['a_candidate_id'], ['elections_candidate.id'], name=op.f('fk_elections_relation_a_candidate_id_elections_candidate')),
    sa.ForeignKeyConstraint(['b_candidate_id'], ['elections_candidate.id'], name=op.f('fk_elections_relation_b_candidate_id_elections_candidate')),
    sa.ForeignKeyConstraint(['election_id'], ['elections_election.id'], name=op.f('fk_elections_relation_election_id_elections_election')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elections_relation'))
    )
    with op.batch_alter_table('elections_relation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elections_relation_election_id'), ['election_id'], unique=False)
