"""outbox_message.grade_target_id indexed: the worker's "a newer score went out" check
and the retention purge's guard for waiting scores read by it

Revision ID: a7c3e5f19d20
Revises: 679d1637c533
Create Date: 2026-12-04 13:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e5f19d20'
down_revision = '679d1637c533'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_grade_target_id'),
                              ['grade_target_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_grade_target_id'))
