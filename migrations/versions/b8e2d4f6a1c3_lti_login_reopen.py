"""lti_login.reopen: a framed login's parameters, to start it again in a new window

A launch refused inside the LMS's frame offers to open the course in a window of its
own, which starts the same login again: that needs the login's parameters (the
platform's login_hint and lti_message_hint are not in the launch). Kept only for a login
started in a frame, and cleared when the login is used; every login so far has none.

Revision ID: b8e2d4f6a1c3
Revises: e7a2c4f9b1d3
Create Date: 2026-12-07 12:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8e2d4f6a1c3'
down_revision = 'e7a2c4f9b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('lti_login', sa.Column('reopen', sa.JSON(), nullable=True))


def downgrade():
    # SQLite 3.35+ and PostgreSQL drop a column in place.
    op.drop_column('lti_login', 'reopen')
