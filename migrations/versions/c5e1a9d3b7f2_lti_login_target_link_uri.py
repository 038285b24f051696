"""lti_login.target_link_uri: the launch's target must be the one its login named

LTI 1.3 has the platform send the same target_link_uri in the login initiation and in
the launch token; the tool keeps the login's to compare. Logins open at the upgrade
have none and are not compared (they expire within minutes).

Revision ID: c5e1a9d3b7f2
Revises: a4bfc757bac6
Create Date: 2026-12-05 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e1a9d3b7f2'
down_revision = 'a4bfc757bac6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lti_login', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_link_uri', sa.String(length=2000), nullable=True))


def downgrade():
    with op.batch_alter_table('lti_login', schema=None) as batch_op:
        batch_op.drop_column('target_link_uri')
