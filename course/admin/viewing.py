"""Who opened which learner's record: the pages that show one learner's data audit the look.

Audited: the learner's record, their knowledge-check history, a certificate's page and a
correction request, each showing one identified learner's personal data, answers or
certificates. Lists, searches and reports are not: they show no one's record in full.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request
from flask_login import current_user

from course import audit
from course.db import write_transaction
from course.models import User


def audit_view(learner: User, page: str, **record: object) -> None:
    """Record that the signed-in admin opened this page of the learner's records.

    Once per admin, page and record within ``AUDIT_VIEW_WINDOW_MINUTES``; no reason is
    asked, as for any look. An admin's own record is theirs to read unrecorded.

    :raise DatabaseBusy: when the event cannot be written: the page is not shown unrecorded.
    """
    if learner.id == current_user.id:
        return
    what = {"page": page, **record}
    window = timedelta(minutes=current_app.config["AUDIT_VIEW_WINDOW_MINUTES"])
    # A reload within the window only reads: SQLite's write lock is taken only for a write.
    if audit.viewed_within(current_user, learner, what, window):
        return
    with write_transaction():  # checked again inside: another tab may have just recorded it
        audit.record_view(current_user, learner, what, window, request.remote_addr)
