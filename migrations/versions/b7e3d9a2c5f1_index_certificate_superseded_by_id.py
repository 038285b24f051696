"""index certificate.superseded_by_id: a certificate's verification and admin pages find
the certificate it replaced or reinstated by it

Revision ID: b7e3d9a2c5f1
Revises: d2f7a9c4e1b3
Create Date: 2026-12-07 00:20:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e3d9a2c5f1'
down_revision = 'd2f7a9c4e1b3'
branch_labels = None
depends_on = None


def upgrade():
    # Without it, every verification of a code read the whole certificate table
    # (tests/course/test_reads_scale.py reads the query plans of a learner's journey).
    op.create_index('ix_certificate_superseded_by_id', 'certificate', ['superseded_by_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_certificate_superseded_by_id', table_name='certificate')
