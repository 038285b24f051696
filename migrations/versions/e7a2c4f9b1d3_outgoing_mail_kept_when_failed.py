"""outgoing_mail: a message refused for good is kept as failed; a random reference

A message the mail server refused for good, or whose last retry failed, was deleted, so
nobody could see afterwards that a learner's password reset or certificate never went.
It is now kept, marked failed (and acknowledged once the operator has seen it), until
the retention removes it. Each message also gets a random reference for its Message-ID
instead of its row id and queue time, which told every recipient how many messages the
site had sent and when. Messages already queued keep the reference they had, so a retry
still carries the same Message-ID.

Revision ID: e7a2c4f9b1d3
Revises: a7f3c9e1d5b2
Create Date: 2026-12-07 12:30:00.000000

"""
from datetime import UTC

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e7a2c4f9b1d3'
down_revision = 'a7f3c9e1d5b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_outgoing_mail_failed_at'), ['failed_at'],
                              unique=False)
    mail = sa.table('outgoing_mail', sa.column('id', sa.Integer()),
                    sa.column('created_at', sa.DateTime(timezone=True)),
                    sa.column('token', sa.String(length=40)))
    bind = op.get_bind()
    for mail_id, created_at in bind.execute(sa.select(mail.c.id, mail.c.created_at)).all():
        # The reference the message's tries so far carried: SQLite keeps UTC wall time.
        moment = created_at.replace(tzinfo=UTC) if created_at.tzinfo is None else created_at
        bind.execute(mail.update().where(mail.c.id == mail_id).values(
            token=f"{mail_id}-{moment.astimezone(UTC):%Y%m%dT%H%M%S.%f}Z"))
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=40), nullable=False)


def downgrade():
    # A failed message would be sent again by the previous release, which knows no
    # failures: it goes, as that release would have done with it at the refusal.
    op.execute(sa.text("DELETE FROM outgoing_mail WHERE failed_at IS NOT NULL"))
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_failed_at'))
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('failed_at')
        batch_op.drop_column('token')
