"""Where a learner's grades go back: each launch's Assignment and Grade Services target."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select, update

from course import outbox
from course.db import utcnow
from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.issuing import live_certificate
from course.lti.roles import AGS, LTI, sends_grades
from course.models import Course, Enrolment, LtiGradeTarget, LtiPlatform, User


def remember_grade_target(claims: dict[str, Any], platform: LtiPlatform, user: User,
                           course: Course, enrolment: Enrolment) -> None:
    """Keep where a launch's grades go, and send a finished learner's to a new column."""
    if not sends_grades(claims):
        return  # the platform wants no grade for this link
    endpoint = claims[AGS]
    scopes = endpoint["scope"]
    values = {"user_id": user.id, "course_id": course.id, "platform_id": platform.id,
              "subject": claims["sub"], "scopes": scopes, "updated_at": utcnow()}
    if endpoint.get("lineitem"):
        values["lineitem_url"] = endpoint["lineitem"]
        same = LtiGradeTarget.lineitem_url == endpoint["lineitem"]
    else:
        # No line item named: the tool may make the link's own, if the platform lets it.
        link = str(claims[LTI + "resource_link"]["id"])
        values.update(lineitems_url=endpoint["lineitems"], resource_link_id=link[:255])
        same = LtiGradeTarget.resource_link_id == values["resource_link_id"]
    mine = (LtiGradeTarget.user_id == user.id, LtiGradeTarget.course_id == course.id,
            LtiGradeTarget.platform_id == platform.id, same)
    if insert_ignoring_duplicates(LtiGradeTarget, values):
        # Finished before this link was graded: AGS has the tool post the current result,
        # and a completion whose certificate was revoked has none.
        if enrolment.completed_at is not None and live_certificate(enrolment) is not None:
            outbox.completion_for_new_target(
                enrolment, db.session.scalars(select(LtiGradeTarget).where(*mine)).one())
    else:
        # The user id too: a link undone and made again left the target without one.
        changes: dict[str, Any] = {"scopes": scopes, "subject": claims["sub"],
                                   "updated_at": values["updated_at"]}
        if "lineitems_url" in values:
            # The container's URL changed (the platform moved, say): the link's line item
            # is looked up there again, found if it is there, made if not.
            moved = LtiGradeTarget.lineitems_url != values["lineitems_url"]
            changes["lineitem_url"] = case((moved, None), else_=LtiGradeTarget.lineitem_url)
            changes["lineitems_url"] = values["lineitems_url"]
        db.session.execute(update(LtiGradeTarget).where(*mine).values(**changes))
