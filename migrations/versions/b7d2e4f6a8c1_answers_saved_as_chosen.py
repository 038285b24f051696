"""answers saved as chosen: drafts of the open post-test attempt and the evaluation

Answers chosen on the post-test and typed into the evaluation are saved before they
are submitted, so a closed tab or a session that timed out loses none of them.

Revision ID: b7d2e4f6a8c1
Revises: 9a7855e5c446
Create Date: 2026-12-03 13:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7d2e4f6a8c1'
down_revision = '9a7855e5c446'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('post_test_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('draft_saved_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evaluation_draft', sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column('evaluation_draft_saved_at', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_column('evaluation_draft_saved_at')
        batch_op.drop_column('evaluation_draft')
    with op.batch_alter_table('post_test_attempt', schema=None) as batch_op:
        batch_op.drop_column('draft_saved_at')
        batch_op.drop_column('draft')
