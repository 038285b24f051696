"""statements and audit events found by the person they are about: outbox_message.user_id
(backfilled from each statement's actor), audit_event(actor_id) and
audit_event(subject_type, subject_id)

Revision ID: 679d1637c533
Revises: 8d41f2a6c9e0
Create Date: 2026-12-04 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '679d1637c533'
down_revision = '8d41f2a6c9e0'
branch_labels = None
depends_on = None

# A statement names its learner as the actor: an account here ({"account": {"name":
# "<user id>"}}), or "mailto:<address>" when the provider sends addresses. These match
# exactly what the data download and account deletion matched before (course.outbox.privacy),
# each through an index of user_account, not a comparison with every account.
_BACKFILL = {
    'sqlite': [
        """UPDATE outbox_message SET user_id = (
            SELECT u.id FROM user_account AS u
            WHERE u.id = CAST(json_extract(outbox_message.payload, '$.actor.account.name')
                              AS INTEGER)
              AND CAST(u.id AS TEXT) = json_extract(outbox_message.payload,
                                                    '$.actor.account.name'))
        WHERE channel = 'xapi'
          AND json_extract(payload, '$.actor.account.name') IS NOT NULL""",
        """UPDATE outbox_message SET user_id = (
            SELECT u.id FROM user_account AS u
            WHERE u.email = substr(json_extract(outbox_message.payload, '$.actor.mbox'), 8))
        WHERE channel = 'xapi' AND user_id IS NULL
          AND substr(json_extract(payload, '$.actor.mbox'), 1, 7) = 'mailto:'""",
    ],
    'postgresql': [
        """UPDATE outbox_message AS m SET user_id = u.id FROM user_account AS u
        WHERE m.channel = 'xapi'
          AND CAST(u.id AS TEXT) = m.payload -> 'actor' -> 'account' ->> 'name'""",
        """UPDATE outbox_message AS m SET user_id = u.id FROM user_account AS u
        WHERE m.channel = 'xapi' AND m.user_id IS NULL
          AND 'mailto:' || u.email = m.payload -> 'actor' ->> 'mbox'""",
    ],
}


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_user_id_user_account'),
                                    'user_account', ['user_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_outbox_message_user_id'), ['user_id'],
                              unique=False)
    conn = op.get_bind()
    for statement in _BACKFILL[conn.dialect.name]:
        conn.execute(sa.text(statement))
    op.create_index(op.f('ix_audit_event_actor_id'), 'audit_event', ['actor_id'], unique=False)
    op.create_index(op.f('ix_audit_event_subject_type'), 'audit_event',
                    ['subject_type', 'subject_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_audit_event_subject_type'), table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_actor_id'), table_name='audit_event')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_user_id'))
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_user_id_user_account'),
                                 type_='foreignkey')
        batch_op.drop_column('user_id')
