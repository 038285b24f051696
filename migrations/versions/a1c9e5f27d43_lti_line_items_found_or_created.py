"""LTI line items found or created: grade targets from a launch that named no line item

A platform may send only where its line items live; the tool then finds or creates the
resource link's line item before the first score and stores it on the grade target.

Revision ID: a1c9e5f27d43
Revises: b7d2e4f6a8c1
Create Date: 2026-12-03 11:20:00.000000

"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a1c9e5f27d43'
down_revision = 'b7d2e4f6a8c1'
branch_labels = None
depends_on = None


@contextmanager
def _foreign_keys_off_on_sqlite():
    """SQLite rebuilds the table (copy, drop, rename): with foreign keys enforced, the
    drop fails while outbox messages point at it. The keys are checked again after."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys = OFF')
    try:
        yield
    finally:
        if sqlite:
            with op.get_context().autocommit_block():
                op.execute('PRAGMA foreign_keys = ON')
    if sqlite:
        broken = op.get_bind().exec_driver_sql('PRAGMA foreign_key_check').fetchall()
        if broken:
            raise RuntimeError(f'foreign keys broken by the rebuild: {broken[:5]}')


def upgrade():
    with _foreign_keys_off_on_sqlite(), op.batch_alter_table('lti_grade_target') as batch_op:
        batch_op.add_column(sa.Column('lineitems_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('resource_link_id', sa.String(length=255), nullable=True))
        batch_op.alter_column('lineitem_url', existing_type=sa.Text(), nullable=True)
        batch_op.create_unique_constraint(
            batch_op.f('uq_lti_grade_target_user_id_course_id_resource_link_id'),
            ['user_id', 'course_id', 'resource_link_id'],
        )


def downgrade():
    # Targets still waiting for their line item cannot be kept without one.
    op.execute("DELETE FROM outbox_message WHERE grade_target_id IN "
               "(SELECT id FROM lti_grade_target WHERE lineitem_url IS NULL)")
    op.execute("DELETE FROM lti_grade_target WHERE lineitem_url IS NULL")
    with _foreign_keys_off_on_sqlite(), op.batch_alter_table('lti_grade_target') as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_lti_grade_target_user_id_course_id_resource_link_id'), type_='unique'
        )
        batch_op.alter_column('lineitem_url', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('resource_link_id')
        batch_op.drop_column('lineitems_url')
