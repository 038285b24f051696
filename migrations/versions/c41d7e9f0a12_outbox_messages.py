"""outbox messages: LMS scores and LRS statements queued with the records they describe

Revision ID: c41d7e9f0a12
Revises: 8c3f1a6e2b75
Create Date: 2026-12-02 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41d7e9f0a12'
down_revision = '8c3f1a6e2b75'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('message_id', sa.String(length=36), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('subject_key', sa.String(length=100), nullable=True),
        sa.Column('grade_target_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['grade_target_id'], ['lti_grade_target.id'],
                                name=op.f('fk_outbox_message_grade_target_id_lti_grade_target')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
        sa.UniqueConstraint('message_id', name=op.f('uq_outbox_message_message_id')),
    )
    op.create_index(op.f('ix_outbox_message_channel'), 'outbox_message',
                    ['channel', 'sent_at', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_outbox_message_created_at'), 'outbox_message', ['created_at'],
                    unique=False)
    op.create_index(op.f('ix_outbox_message_subject_key'), 'outbox_message', ['subject_key'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_outbox_message_subject_key'), table_name='outbox_message')
    op.drop_index(op.f('ix_outbox_message_created_at'), table_name='outbox_message')
    op.drop_index(op.f('ix_outbox_message_channel'), table_name='outbox_message')
    op.drop_table('outbox_message')
