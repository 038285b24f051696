"""LTI 1.3: registered platforms, who a platform's user is here, launches and grade targets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import UTCDateTime, utcnow
from course.extensions import db
from course.models.content import Course
from course.models.users import User


class LtiPlatform(db.Model):
    """An LMS (Moodle, Canvas, Cornerstone...) registered to launch courses here."""

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The platform's ``iss``, e.g. https://moodle.agency.example.
    issuer: Mapped[str] = mapped_column(String(255))
    #: The client id the platform gave this tool.
    client_id: Mapped[str] = mapped_column(String(255))
    #: Where the platform's OIDC authorization endpoint is.
    auth_login_url: Mapped[str] = mapped_column(String(500))
    #: The OAuth 2 token endpoint, for Assignment and Grade Services.
    auth_token_url: Mapped[str] = mapped_column(String(500))
    #: The audience the token endpoint wants in the tool's client assertion, when it is
    #: not the token URL itself (D2L Brightspace's fixed one); empty for most platforms.
    token_audience: Mapped[str | None] = mapped_column(String(500))
    #: Where the platform publishes the keys it signs id_tokens with.
    jwks_url: Mapped[str] = mapped_column(String(500))
    #: The deployment ids allowed to launch; a launch from any other is refused.
    deployment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Launches refused that named this platform, counted at most once every few seconds
    #: (``course.lti.refusals``), and the last one's time and reason: no learner's data.
    refused_launches: Mapped[int] = mapped_column(default=0, server_default="0")
    last_refusal_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_refusal: Mapped[str | None] = mapped_column(String(500))


class LtiIdentity(db.Model):
    """A platform's user (its ``sub``) and the account they are here: never by email."""

    __tablename__ = "lti_identity"
    __table_args__ = (UniqueConstraint("platform_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_launch_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
    platform: Mapped[LtiPlatform] = relationship()


class LtiLogin(db.Model):
    """One OIDC login started by a platform: its state and nonce, each usable once."""

    __tablename__ = "lti_login"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id"))
    state: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    #: The target the login named: the launch token must name the same (LTI 1.3).
    target_link_uri: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set by the launch that used it; a second launch with the same state is refused.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A login started inside the LMS's frame: its parameters, for a launch refused there
    #: to start it again in a new window (the launch lacks the platform's hints). None
    #: otherwise, and once the login is used.
    reopen: Mapped[dict[str, str] | None] = mapped_column(JSON)

    platform: Mapped[LtiPlatform] = relationship()


class LtiGradeTarget(db.Model):
    """Where a learner's score for a course goes back to: a platform's line item.

    A platform names the line item in the launch, or only where its line items live
    (``lineitems_url``): the tool then finds or creates the resource link's own line
    item before the first score, and remembers it here.
    """

    __tablename__ = "lti_grade_target"
    # Per platform: link ids are each platform's own, and one account may be opened from
    # several platforms (linking).
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "platform_id", "lineitem_url",
                         name="uq_lti_grade_target_platform_lineitem"),
        UniqueConstraint("user_id", "course_id", "platform_id", "resource_link_id",
                         name="uq_lti_grade_target_platform_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id"))
    #: The platform's user id (``sub``), which scores are posted for; cleared when the
    #: learner deletes their account (their queued scores carry it in their own body).
    subject: Mapped[str | None] = mapped_column(String(255))
    lineitem_url: Mapped[str | None] = mapped_column(Text)
    #: Where the platform keeps line items, for a launch that named none of its own.
    lineitems_url: Mapped[str | None] = mapped_column(Text)
    #: The launch's resource link, whose line item the tool finds or creates.
    resource_link_id: Mapped[str | None] = mapped_column(String(255))
    #: The AGS scopes the platform granted in the launch.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    platform: Mapped[LtiPlatform] = relationship()
    course: Mapped[Course] = relationship()


class LtiLinkLineItem(db.Model):
    """A resource link's own line item in a platform's container, made by this tool.

    Two servers' outbox workers sending a new link's first scores at the same moment
    would each make a line item; the one that claims this row first makes it, and the
    other waits for it. A claim lapses at ``claimed_until``, in case its worker died.
    """

    __tablename__ = "lti_link_line_item"
    __table_args__ = (
        # Named here: the convention's name would pass PostgreSQL's 63 characters.
        UniqueConstraint("platform_id", "resource_link_id", "lineitems_url",
                         name="uq_lti_link_line_item_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    lineitems_url: Mapped[str] = mapped_column(Text)
    #: The line item found or made; empty until then, or after the platform lost it.
    lineitem_url: Mapped[str | None] = mapped_column(Text)
    #: A random token of the worker finding or making the line item, and until when.
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
