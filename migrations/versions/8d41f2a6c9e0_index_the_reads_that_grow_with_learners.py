"""index the reads that grow with learners: a learner's certificates, a lesson's
questions, a certificate's corrections, the report's lesson medians; addresses stored
lower-cased for sign-in

Revision ID: 8d41f2a6c9e0
Revises: 3c52e0b1d7a4
Create Date: 2026-12-04 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d41f2a6c9e0'
down_revision = '3c52e0b1d7a4'
branch_labels = None
depends_on = None

# Each was a full scan of a table that grows with every learner (or every course), found
# by reading the query plans of a whole learner's journey (tests/course/test_reads_scale.py).
_PLAIN = [
    ('ix_question_lesson_id', 'question', ['lesson_id']),
    ('ix_certificate_user_id', 'certificate', ['user_id']),
    ('ix_certificate_enrolment_id', 'certificate', ['enrolment_id']),
    ('ix_correction_request_certificate_id', 'correction_request', ['certificate_id']),
    # The course report's per-lesson medians of finished lessons, and the admin's newest
    # certificates first: both read a whole table without them.
    ('ix_lesson_progress_lesson_id', 'lesson_progress', ['lesson_id', 'completed_at']),
    ('ix_certificate_issued_at', 'certificate', ['issued_at', 'id']),
    ('ix_user_account_full_name', 'user_account', ['full_name', 'id']),
    ('ix_enrolment_course_id', 'enrolment', ['course_id', 'completed_at']),
]


def upgrade():
    # Sign-in now compares the address as stored, through the unique index, so every
    # stored address must be lower-cased, as the app has always written them. Two
    # accounts that differ only in case would merge: refuse, and name them, before any
    # change (SQLite's DDL is not transactional).
    # Lowered in Python, as the app lowers what people type (SQLite's lower() leaves
    # letters outside ASCII as they are).
    conn = op.get_bind()
    accounts = conn.execute(sa.text("SELECT id, email FROM user_account")).all()
    owners: dict[str, int] = {}
    for _, email in accounts:
        key = email.strip().lower()
        owners[key] = owners.get(key, 0) + 1
    clashes = sorted(key for key, count in owners.items() if count > 1)
    if clashes:
        raise RuntimeError(
            "These addresses belong to more than one account when case is ignored; rename "
            "or deactivate one of each, then migrate again: " + ", ".join(clashes))
    for account_id, email in accounts:
        if email != email.strip().lower():
            conn.execute(sa.text("UPDATE user_account SET email = :email WHERE id = :id"),
                         {"email": email.strip().lower(), "id": account_id})
    for name, table, columns in _PLAIN:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(_PLAIN):
        op.drop_index(name, table_name=table)
