"""outbox_message.refusals: a statement the LRS refuses for good stops being retried

The worker counts the tries an LRS refused as a statement it will never take (HTTP 400,
413, 422) and, after a few, settles the message as refused; the retention purge then
removes it on the delivered messages' schedule. Every message so far has no refusals.

Revision ID: b3e7d91c5a26
Revises: e4b7c2a9d1f6
Create Date: 2026-12-05 23:15:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b3e7d91c5a26'
down_revision = 'e4b7c2a9d1f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('refusals', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.create_index(batch_op.f('ix_outbox_message_refusals'), ['refusals'],
                              unique=False)


def downgrade():
    # A message settled as refused keeps its sent_at and last_error (the LRS's reason):
    # without the column it reads as one settled without sending, which the purge keeps.
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_refusals'))
        batch_op.drop_column('refusals')
