"""fair post-test: a per-learner seed for choice order, the draw's blueprint kept

Each enrolment gets a random seed that orders its knowledge-check choices the same way
on every visit; each post-test attempt keeps the blueprint its draw was balanced by.
Existing enrolments get a fresh seed each; existing attempts have no blueprint.

Revision ID: f3a9d6e1c2b4
Revises: c41d7e9f0a12
Create Date: 2026-11-23 12:00:00.000000

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f3a9d6e1c2b4'
down_revision = 'c41d7e9f0a12'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('choice_seed', sa.String(length=32), nullable=True))
    enrolment = sa.table('enrolment', sa.column('id', sa.Integer()), sa.column('choice_seed'))
    bind = op.get_bind()
    for (enrolment_id,) in bind.execute(sa.select(enrolment.c.id)).all():
        bind.execute(
            enrolment.update()
            .where(enrolment.c.id == enrolment_id)
            .values(choice_seed=secrets.token_hex(16))
        )
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.alter_column('choice_seed', existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table('post_test_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blueprint', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('post_test_attempt', schema=None) as batch_op:
        batch_op.drop_column('blueprint')
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_column('choice_seed')
