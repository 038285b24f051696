"""signing keys in the database and a status-list bit for every certificate

Keys move from a file in the instance folder into the database, so ``db backup``
carries them (the old file is adopted on first use). Every certificate already issued
gets a random bit in status list 1, so its credential can be checked for revocation.

Revision ID: 5b7e2c1d9a40
Revises: acce5cb08cfb
Create Date: 2026-12-02 06:30:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e2c1d9a40'
down_revision = 'acce5cb08cfb'
branch_labels = None
depends_on = None

LIST_SIZE = 131_072


def upgrade():
    op.create_table(
        'signing_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('kid', sa.String(length=100), nullable=False),
        sa.Column('private_pem', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_key')),
        sa.UniqueConstraint('kid', name=op.f('uq_signing_key_kid')),
    )
    op.create_index(
        'uq_signing_key_current', 'signing_key', ['purpose'], unique=True,
        sqlite_where=sa.text('retired_at IS NULL'),
        postgresql_where=sa.text('retired_at IS NULL'),
    )
    op.create_table(
        'credential_status',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('list_number', sa.Integer(), nullable=False),
        sa.Column('list_index', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'],
                                name=op.f('fk_credential_status_certificate_id_certificate'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_status')),
        sa.UniqueConstraint('certificate_id', name=op.f('uq_credential_status_certificate_id')),
        sa.UniqueConstraint('list_number', 'list_index',
                            name=op.f('uq_credential_status_list_number_list_index')),
    )
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.text('SELECT id FROM certificate ORDER BY id'))]
    # Random distinct bits, as new certificates get; list 1 holds half a list at most.
    if len(ids) > LIST_SIZE // 2:
        raise RuntimeError('more certificates than one status list holds; split the backfill')
    chosen: set[int] = set()
    while len(chosen) < len(ids):
        chosen.add(secrets.randbelow(LIST_SIZE))
    indexes = list(chosen)
    secrets.SystemRandom().shuffle(indexes)
    table = sa.table('credential_status', sa.column('certificate_id'), sa.column('list_number'),
                     sa.column('list_index'))
    if ids:
        op.bulk_insert(table, [
            {'certificate_id': cid, 'list_number': 1, 'list_index': index}
            for cid, index in zip(ids, indexes)
        ])


def downgrade():
    op.drop_table('credential_status')
    op.drop_index('uq_signing_key_current', table_name='signing_key')
    op.drop_table('signing_key')
