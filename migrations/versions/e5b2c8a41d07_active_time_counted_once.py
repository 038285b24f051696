"""active time counted once: a per-enrolment credit mark, page credit kept apart, a default minimum

Each enrolment gets the mark after which active time may be credited and the lesson of
its latest page; lesson progress keeps the part of its time that came from page
timestamps alone. Stored course versions whose course.yaml leaves out
``min_active_minutes`` get the default minimum (half their reading time), and every
version records where its minimum came from and its reading time.

Revision ID: e5b2c8a41d07
Revises: b9531d585d81
Create Date: 2026-11-23 09:00:00.000000

"""
import json
import math

import sqlalchemy as sa
import yaml
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5b2c8a41d07'
down_revision = 'b9531d585d81'
branch_labels = None
depends_on = None

# As in lessons/timing.py and lessons/rules.py when this revision was written; a
# migration keeps the figures of its day even if those modules change later.
WORDS_PER_MINUTE = 167
DEFAULT_MIN_ACTIVE_SHARE = 0.5


def upgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credited_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_lesson_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_enrolment_last_lesson_id_lesson'), 'lesson', ['last_lesson_id'], ['id']
        )
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('page_seconds', sa.Integer(), server_default='0', nullable=False)
        )
    _resolve_minimums()


def _resolve_minimums():
    bind = op.get_bind()
    version = sa.table(
        'course_version',
        sa.column('id', sa.Integer()),
        sa.column('manifest', sa.JSON()),
        sa.column('files', sa.JSON()),
    )
    for row in bind.execute(sa.select(version.c.id, version.c.manifest, version.c.files)):
        manifest = row.manifest if isinstance(row.manifest, dict) else json.loads(row.manifest)
        files = row.files if isinstance(row.files, dict) else json.loads(row.files or "{}")
        try:
            course = yaml.safe_load(files.get('course.yaml') or '') or {}
        except yaml.YAMLError:
            course = {}
        reading = int(manifest.get('word_count') or 0) / WORDS_PER_MINUTE
        explicit = isinstance(course, dict) and course.get('min_active_minutes') is not None
        manifest['reading_minutes'] = round(reading, 1)
        manifest['min_active_minutes_source'] = 'package' if explicit else 'default'
        if not explicit:
            manifest['min_active_minutes'] = math.floor(DEFAULT_MIN_ACTIVE_SHARE * reading)
        bind.execute(
            version.update().where(version.c.id == row.id).values(manifest=manifest)
        )


def downgrade():
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.drop_column('page_seconds')
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enrolment_last_lesson_id_lesson'), type_='foreignkey')
        batch_op.drop_column('last_lesson_id')
        batch_op.drop_column('credited_until')
