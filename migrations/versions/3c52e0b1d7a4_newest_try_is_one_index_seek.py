"""the index on check tries ends in id, so the newest try is one seek

Revision ID: 3c52e0b1d7a4
Revises: 771fcef3198a
Create Date: 2026-12-04 07:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3c52e0b1d7a4'
down_revision = '771fcef3198a'
branch_labels = None
depends_on = None


def upgrade():
    # The lesson page reads the newest try per question; with id last in the index that
    # is a backward index-only scan on PostgreSQL instead of a sort of every try.
    op.drop_index('ix_check_response_enrolment_id', table_name='check_response')
    op.create_index('ix_check_response_enrolment_id', 'check_response',
                    ['enrolment_id', 'question_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_check_response_enrolment_id', table_name='check_response')
    op.create_index('ix_check_response_enrolment_id', 'check_response',
                    ['enrolment_id', 'question_id'], unique=False)
