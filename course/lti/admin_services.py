"""Registering platforms: create and change them, audited; what to give a platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from course.audit import record_event
from course.extensions import db
from course.lti import jwks
from course.lti.ags import LINEITEM_SCOPE, SCORE_SCOPE
from course.models import Course, LtiIdentity, LtiPlatform, User

FIELDS = ("name", "issuer", "client_id", "deployment_ids", "auth_login_url",
          "auth_token_url", "token_audience", "jwks_url", "active")


@dataclass(frozen=True)
class ToolDetails:
    """What an LMS administrator types in on their side to add this tool."""

    login_url: str
    launch_url: str
    jwks_url: str
    course_url_pattern: str
    base_url: str
    #: Canvas's developer key reads the whole configuration from here ("Enter URL").
    canvas_config_url: str
    #: Each course offered now, as (title, the link target to copy into the LMS).
    courses: tuple[tuple[str, str], ...] = ()
    score_scope: str = SCORE_SCOPE
    lineitem_scope: str = LINEITEM_SCOPE


def tool_details(base_url: str) -> ToolDetails:
    """Return the tool's URLs for a site at ``base_url``, with each offered course's."""
    base = base_url.rstrip("/")
    offered = db.session.execute(
        select(Course.title, Course.slug)
        .where(Course.archived_at.is_(None), Course.current_version_id.is_not(None))
        .order_by(Course.title)
    ).all()
    return ToolDetails(login_url=f"{base}/lti/login", launch_url=f"{base}/lti/launch",
                       jwks_url=f"{base}/lti/jwks.json",
                       course_url_pattern=f"{base}/courses/<course>", base_url=base,
                       canvas_config_url=f"{base}/lti/canvas.json",
                       courses=tuple((title, f"{base}/courses/{slug}")
                                     for title, slug in offered))


def platforms() -> list[LtiPlatform]:
    """Return every registered platform, by name."""
    return list(db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.name)))


def last_launches() -> dict[int, datetime]:
    """When a learner last opened a course from each platform, by platform id."""
    # Whoever connects an LMS sees its launches arrive here, without the server's log. A
    # staff launch keeps no record, so only learners' count.
    return dict(db.session.execute(
        select(LtiIdentity.platform_id, func.max(LtiIdentity.last_launch_at))
        .group_by(LtiIdentity.platform_id)).tuples().all())


class DuplicatePlatform(ValueError):
    """Another registration has the same issuer and client id."""


def save_platform(platform: LtiPlatform | None, values: dict, actor: User, reason: str,
                  ip_address: str | None) -> LtiPlatform:
    """Create or change a platform registration; flushes, audited with the change."""
    clash = db.session.scalar(
        select(LtiPlatform).where(LtiPlatform.issuer == values["issuer"],
                                  LtiPlatform.client_id == values["client_id"])
    )
    if clash is not None and clash is not platform:
        raise DuplicatePlatform("A platform with this issuer and client ID is already registered.")
    action = "lti.platform_changed" if platform else "lti.platform_registered"
    before = {name: getattr(platform, name) for name in FIELDS} if platform else {}
    if platform is None:
        platform = LtiPlatform()
        db.session.add(platform)
    else:
        jwks.forget(platform.jwks_url)
    for name in FIELDS:
        setattr(platform, name, values[name])
    db.session.flush()
    changed = {name: values[name] for name in FIELDS if before.get(name) != values[name]}
    record_event(actor, action, "lti_platform", platform.id,
                 {"reason": reason, "changed": changed}, ip_address)
    return platform
