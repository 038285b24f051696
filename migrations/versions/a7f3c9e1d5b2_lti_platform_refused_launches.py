"""lti_platform refused launches: a count, and the last one's time and reason

An administrator whose teachers say "the tool will not open" sees, on LMS connections,
how many launches from the platform were refused and why the last one was. The count is
written at most once every few seconds, so a flood of bad launches cannot grow anything.
Every platform so far has none.

Revision ID: a7f3c9e1d5b2
Revises: d6f1b3a8c2e4
Create Date: 2026-12-07 09:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7f3c9e1d5b2'
down_revision = 'd6f1b3a8c2e4'
branch_labels = None
depends_on = None


def upgrade():
    # Not a batch (a table rebuild), which other tables' keys to lti_platform refuse on
    # SQLite; both databases add a column in place. No constraint is added, so none needs
    # a name.
    op.add_column('lti_platform', sa.Column('refused_launches', sa.Integer(),
                                            server_default='0', nullable=False))
    op.add_column('lti_platform', sa.Column('last_refusal_at', sa.DateTime(timezone=True),
                                            nullable=True))
    op.add_column('lti_platform', sa.Column('last_refusal', sa.String(length=500),
                                            nullable=True))


def downgrade():
    # SQLite 3.35+ and PostgreSQL drop a column in place.
    op.drop_column('lti_platform', 'last_refusal')
    op.drop_column('lti_platform', 'last_refusal_at')
    op.drop_column('lti_platform', 'refused_launches')
