"""browser session device: name each signed-in browser ("Firefox on Windows")

Rows made before this revision have no name; the profile calls them "another browser"
until they end.

Revision ID: d4e1a7c90b3f
Revises: cc031d29b122
Create Date: 2026-11-22 05:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e1a7c90b3f'
down_revision = 'cc031d29b122'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('browser_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('browser_session', schema=None) as batch_op:
        batch_op.drop_column('device')
