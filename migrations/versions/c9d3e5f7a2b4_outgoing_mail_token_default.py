"""outgoing_mail.token: a database default, for the previous release during an upgrade

The previous release queues email without a reference. Between ``flask db upgrade`` and
the restart onto the new code (and while several servers change over one by one) it
still serves, and each sign-up link, password reset or certificate notice it queued
failed on the NOT NULL column, a server error for the learner. The database now makes a
random reference for such a row (12 hex digits); the new code always gives its own.

Revision ID: c9d3e5f7a2b4
Revises: b8e2d4f6a1c3
Create Date: 2026-12-07 13:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c9d3e5f7a2b4'
down_revision = 'b8e2d4f6a1c3'
branch_labels = None
depends_on = None

_RANDOM = {
    # SQLite takes an expression as a default only in parentheses, and only when the
    # table is made (batch mode rebuilds this small table).
    "sqlite": "(lower(hex(randomblob(6))))",
    "postgresql": "substr(md5(random()::text || clock_timestamp()::text), 1, 12)",
}


def upgrade():
    default = _RANDOM[op.get_bind().dialect.name]
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=40),
                              existing_nullable=False, server_default=sa.text(default))


def downgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=40),
                              existing_nullable=False, server_default=None)
