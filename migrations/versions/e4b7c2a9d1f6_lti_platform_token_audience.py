"""lti_platform.token_audience: the audience a platform wants in the tool's client assertion

Most platforms take their access token URL as the audience (the default, with this
left empty); D2L Brightspace wants a fixed one of its own.

Revision ID: e4b7c2a9d1f6
Revises: d8a2f6c4e913
Create Date: 2026-12-05 23:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e4b7c2a9d1f6'
down_revision = 'd8a2f6c4e913'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('lti_platform', sa.Column('token_audience', sa.String(length=500),
                                            nullable=True))


def downgrade():
    # Not a batch (a table rebuild), which other tables' keys to lti_platform refuse on
    # SQLite; SQLite 3.35+ and PostgreSQL drop a column in place.
    op.drop_column('lti_platform', 'token_audience')
