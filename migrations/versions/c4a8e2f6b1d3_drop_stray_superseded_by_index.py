"""drop ix_certificate_superseded_by_id where the release that briefly had it made it

The models have no such index (see `b7e3d9a2c5f1`); left behind, it would be the one
difference between such a database and a fresh one, and every certificate write would
keep it up to date for nothing.

Revision ID: c4a8e2f6b1d3
Revises: b7e3c1d9a4f2
Create Date: 2026-12-07 06:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4a8e2f6b1d3'
down_revision = 'b7e3c1d9a4f2'
branch_labels = None
depends_on = None


def upgrade():
    # IF EXISTS: most databases never had it (SQLite and PostgreSQL both take this form).
    op.execute('DROP INDEX IF EXISTS ix_certificate_superseded_by_id')


def downgrade():
    pass
