"""lti_grade_target.subject may be cleared: a deleted account keeps no LMS user id

Deleting an account removes its LTI identities and clears the LMS user id on its grade
targets; the targets stay, as delivered scores in the outbox still point at them.

Revision ID: d8a2f6c4e913
Revises: c5e1a9d3b7f2
Create Date: 2026-12-05 22:40:00.000000

"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd8a2f6c4e913'
down_revision = 'c5e1a9d3b7f2'
branch_labels = None
depends_on = None


@contextmanager
def _foreign_keys_off_on_sqlite():
    """SQLite rebuilds the table (copy, drop, rename): with foreign keys enforced, the
    drop fails while outbox messages point at it. The keys of the rebuilt table and of
    the messages pointing at it are checked again after (only those: the rebuild can
    break no other)."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys = OFF')
    try:
        yield
    finally:
        if sqlite:
            with op.get_context().autocommit_block():
                op.execute('PRAGMA foreign_keys = ON')
    if sqlite:
        broken = [row for table in ('lti_grade_target', 'outbox_message') for row in
                  op.get_bind().exec_driver_sql(f'PRAGMA foreign_key_check({table})')]
        if broken:
            raise RuntimeError(f'foreign keys broken by the rebuild: {broken[:5]}')


def upgrade():
    with _foreign_keys_off_on_sqlite(), op.batch_alter_table('lti_grade_target') as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=255), nullable=True)


def downgrade():
    # No LMS user id is left to put back: a deleted account's targets get an empty one,
    # which no score is queued for (its account can no longer sit a post-test).
    op.execute("UPDATE lti_grade_target SET subject = '' WHERE subject IS NULL")
    with _foreign_keys_off_on_sqlite(), op.batch_alter_table('lti_grade_target') as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=255), nullable=False)
