"""LTI 1.3: registered platforms, platform users' accounts, logins and grade targets

Revision ID: 8c3f1a6e2b75
Revises: 5b7e2c1d9a40
Create Date: 2026-12-02 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '8c3f1a6e2b75'
down_revision = '5b7e2c1d9a40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lti_platform',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('client_id', sa.String(length=255), nullable=False),
        sa.Column('auth_login_url', sa.String(length=500), nullable=False),
        sa.Column('auth_token_url', sa.String(length=500), nullable=False),
        sa.Column('jwks_url', sa.String(length=500), nullable=False),
        sa.Column('deployment_ids', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_platform')),
        sa.UniqueConstraint('issuer', 'client_id', name=op.f('uq_lti_platform_issuer_client_id')),
    )
    op.create_table(
        'lti_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_launch_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'],
                                name=op.f('fk_lti_identity_platform_id_lti_platform')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_lti_identity_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_identity')),
        sa.UniqueConstraint('platform_id', 'subject',
                            name=op.f('uq_lti_identity_platform_id_subject')),
    )
    op.create_index(op.f('ix_lti_identity_user_id'), 'lti_identity', ['user_id'], unique=False)
    op.create_table(
        'lti_login',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=64), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'],
                                name=op.f('fk_lti_login_platform_id_lti_platform')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_login')),
        sa.UniqueConstraint('nonce', name=op.f('uq_lti_login_nonce')),
        sa.UniqueConstraint('state', name=op.f('uq_lti_login_state')),
    )
    op.create_table(
        'lti_grade_target',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('lineitem_url', sa.Text(), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'],
                                name=op.f('fk_lti_grade_target_course_id_course')),
        sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'],
                                name=op.f('fk_lti_grade_target_platform_id_lti_platform')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_lti_grade_target_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_grade_target')),
        sa.UniqueConstraint('user_id', 'course_id', 'lineitem_url',
                            name=op.f('uq_lti_grade_target_user_id_course_id_lineitem_url')),
    )


def downgrade():
    op.drop_table('lti_grade_target')
    op.drop_table('lti_login')
    op.drop_index(op.f('ix_lti_identity_user_id'), table_name='lti_identity')
    op.drop_table('lti_identity')
    op.drop_table('lti_platform')
