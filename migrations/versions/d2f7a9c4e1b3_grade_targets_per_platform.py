"""lti_grade_target unique per platform: two LMSs may use the same link id or line item URL

Since a learner can link the LMS accounts of several platforms to one account here, one
account can hold grade targets of two platforms for one course. Their resource-link ids
are each platform's own ("3" in one Moodle and "3" in another), so uniqueness now
includes the platform.

Revision ID: d2f7a9c4e1b3
Revises: c8d4f1a2b6e9
Create Date: 2026-12-06 14:10:00.000000

"""
from contextlib import contextmanager

from alembic import op

# revision identifiers, used by Alembic.
revision = 'd2f7a9c4e1b3'
down_revision = 'c8d4f1a2b6e9'
branch_labels = None
depends_on = None

OLD = {
    'uq_lti_grade_target_user_id_course_id_lineitem_url': ['user_id', 'course_id', 'lineitem_url'],
    'uq_lti_grade_target_user_id_course_id_resource_link_id':
        ['user_id', 'course_id', 'resource_link_id'],
}
NEW = {
    'uq_lti_grade_target_platform_lineitem':
        ['user_id', 'course_id', 'platform_id', 'lineitem_url'],
    'uq_lti_grade_target_platform_link':
        ['user_id', 'course_id', 'platform_id', 'resource_link_id'],
}


@contextmanager
def _foreign_keys_off_on_sqlite():
    """SQLite rebuilds the table; outbox messages point at it, so keys are off meanwhile
    and checked after (as in a1c9e5f27d43)."""
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
        # Only the rebuilt table and the scores that point at it: rows elsewhere are not
        # this migration's to judge.
        broken = [row for table in ('lti_grade_target', 'outbox_message')
                  for row in op.get_bind().exec_driver_sql(
                      f'PRAGMA foreign_key_check({table})').fetchall()]
        if broken:
            raise RuntimeError(f'foreign keys broken by the rebuild: {broken[:5]}')


def _swap(drop: dict[str, list[str]], create: dict[str, list[str]]) -> None:
    with _foreign_keys_off_on_sqlite(), op.batch_alter_table('lti_grade_target') as batch_op:
        for name in drop:
            batch_op.drop_constraint(name, type_='unique')
        for name, columns in create.items():
            batch_op.create_unique_constraint(name, columns)


def upgrade():
    _swap(OLD, NEW)


def downgrade():
    # Fails, changing nothing, if one account holds the same link id from two platforms.
    _swap(NEW, OLD)
