"""certificate.pdf_sha256 indexed: a board checks a PDF file by its fingerprint

A licensing board handed a certificate PDF uploads it on the verification page, which looks
the file's SHA-256 up among the certificates issued.

Revision ID: c4d8e2f6a1b9
Revises: c4a8e2f6b1d3
Create Date: 2026-12-07 06:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4d8e2f6a1b9'
down_revision = 'c4a8e2f6b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_certificate_pdf_sha256', 'certificate', ['pdf_sha256'])


def downgrade():
    op.drop_index('ix_certificate_pdf_sha256', table_name='certificate')
