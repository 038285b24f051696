"""index certificate.superseded_by_id, briefly: kept so a database that ran it upgrades

A release of December 7, 2026 added this index; the next one found the predecessor of a
certificate another way and dropped the revision from the code. A database migrated by
that release then stopped `flask db upgrade` with "Can't locate revision
identified by 'b7e3d9a2c5f1'". This revision is back in the chain so such a database
goes on from it; it changes nothing itself, and `c4a8e2f6b1d3` drops the index where
that release made it.

Revision ID: b7e3d9a2c5f1
Revises: d2f7a9c4e1b3
Create Date: 2026-12-07 00:20:00.000000

"""

# revision identifiers, used by Alembic.
revision = 'b7e3d9a2c5f1'
down_revision = 'd2f7a9c4e1b3'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
