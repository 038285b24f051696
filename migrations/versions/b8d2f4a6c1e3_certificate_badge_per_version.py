"""certificate.course_badge: certificates issued until now keep their credential's
course-wide badge image; new ones name the badge of the course version they certify

Revision ID: b8d2f4a6c1e3
Revises: a7c3e5f19d20
Create Date: 2026-12-04 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d2f4a6c1e3'
down_revision = 'a7c3e5f19d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('course_badge', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # A credential is signed afresh on each download and must read the same each time:
    # every certificate issued so far keeps the image address its credential already had.
    op.execute(sa.text("UPDATE certificate SET course_badge = :yes").bindparams(yes=True))


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('course_badge')
