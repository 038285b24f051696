"""outgoing_mail.certificate_code: the certificate-issued email carries the PDF

The email that tells a learner their certificate is issued now attaches the PDF as
stored, read when the message is sent. Mail already queued has no certificate to attach.

Revision ID: c8d4f1a2b6e9
Revises: b3e7d91c5a26
Create Date: 2026-12-06 11:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c8d4f1a2b6e9'
down_revision = 'b3e7d91c5a26'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_code', sa.String(length=64), nullable=True))


def downgrade():
    # A message still queued then goes without its attachment; its text says where the
    # certificate page is.
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_column('certificate_code')
