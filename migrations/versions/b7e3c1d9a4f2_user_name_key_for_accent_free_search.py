"""user_account.name_key: the name without accents, case folded, for the admin searches

An admin typing "Nunez" did not find "Núñez", and on SQLite "ÁLVAREZ" did not find
"Álvarez" (its LIKE folds the case of A to Z only). The searches now compare this key,
kept with the name by the model; existing accounts get theirs here.

Revision ID: b7e3c1d9a4f2
Revises: b7e3d9a2c5f1
Create Date: 2026-12-07 04:00:00.000000

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e3c1d9a4f2'
down_revision = 'b7e3d9a2c5f1'
branch_labels = None
depends_on = None

BATCH = 1000


def _key(name: str) -> str:
    """course.names.search_key as of this revision (a migration keeps its own copy)."""
    name = ' '.join(unicodedata.normalize('NFC', name or '').split())
    decomposed = unicodedata.normalize('NFKD', name)
    return ''.join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def upgrade():
    op.add_column('user_account',
                  sa.Column('name_key', sa.String(length=200), server_default='', nullable=False))
    bind = op.get_bind()
    accounts = sa.table('user_account', sa.column('id', sa.Integer),
                        sa.column('full_name', sa.String), sa.column('name_key', sa.String))
    last = 0
    while True:
        rows = bind.execute(sa.select(accounts.c.id, accounts.c.full_name)
                            .where(accounts.c.id > last).order_by(accounts.c.id)
                            .limit(BATCH)).all()
        if not rows:
            break
        bind.execute(accounts.update().where(accounts.c.id == sa.bindparam('account'))
                     .values(name_key=sa.bindparam('key')),
                     [{'account': row.id, 'key': _key(row.full_name)} for row in rows])
        last = rows[-1].id


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35 and later): a batch rebuild of user_account would
    # drop the table every other table points at, which foreign keys refuse.
    op.drop_column('user_account', 'name_key')
