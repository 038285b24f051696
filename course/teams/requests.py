"""Review requests: an author asks for review, the publishers are told, publishing closes it.

A request is for one revision of a draft. Each person who may publish the draft is
emailed once per request; the askers hear of each review comment and of the publish.
Mail is queued (``course.mail.tell_account_holder``) and goes out after the caller's commit.
Services flush; the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from course.audit import record_event
from course.db import utcnow
from course.extensions import db
from course.mail import tell_account_holder
from course.models import (
    CourseDraft,
    CourseMember,
    ReviewRequest,
    RevisionComment,
    Role,
    TeamRole,
    User,
)
from course.teams import review
from course.teams.services import can_work_on

MAX_NOTE = 500
#: How much of a review comment its email quotes: the page has the rest.
EXCERPT = 300


class RequestRefused(Exception):
    """The user may not ask for review of this draft now; the message says why."""


class Space(Protocol):
    """What a request needs of a course in the author area (a ``Workspace``)."""

    slug: str
    draft: CourseDraft | None

    @property
    def title(self) -> str: ...

    @property
    def unpublished(self) -> bool: ...


@dataclass(frozen=True)
class ReviewState:
    """Where a draft stands in review: its open requests, oldest first, and its revision."""

    requests: tuple[ReviewRequest, ...]
    revision: int

    @property
    def since(self) -> datetime:
        """When the oldest open request was made: how long the draft has waited."""
        return self.requests[0].created_at

    @property
    def askers(self) -> list[User]:
        """Who asked, each once, in the order they first asked."""
        return list({r.asked_by_id: r.asked_by for r in self.requests}.values())

    @property
    def latest(self) -> ReviewRequest:
        """The newest open request."""
        return self.requests[-1]

    @property
    def changed(self) -> bool:
        """True when the draft was saved again after the newest request."""
        return self.latest.revision_number < self.revision


@dataclass(frozen=True)
class Asked:
    """The outcome of Ask for review: the request, whether it is new, and who was told."""

    request: ReviewRequest
    created: bool
    told: tuple[User, ...] = ()


@dataclass(frozen=True)
class Waiting:
    """A draft waiting for a reviewer: the course and its review state."""

    space: Space
    state: ReviewState


def _subject(what: str, space: Space) -> str:
    # A line break in a header would make the message unsendable; titles come from YAML.
    return f"{what}: {' '.join(space.title.split())}"


def _open_query():
    return (
        select(ReviewRequest)
        .where(ReviewRequest.closed_at.is_(None))
        .options(selectinload(ReviewRequest.asked_by))
        .order_by(ReviewRequest.created_at, ReviewRequest.id)
    )


def states(drafts: Iterable[CourseDraft | None]) -> dict[int, ReviewState]:
    """The review state of each draft with an open request, by draft id (one query)."""
    by_id = {d.id: d for d in drafts if d is not None}
    if not by_id:
        return {}
    found: dict[int, list[ReviewRequest]] = {}
    for request in db.session.scalars(_open_query().where(ReviewRequest.draft_id.in_(by_id))):
        found.setdefault(request.draft_id, []).append(request)
    return {
        draft_id: ReviewState(tuple(requests), by_id[draft_id].revision_number)
        for draft_id, requests in found.items()
    }


def state(draft: CourseDraft | None) -> ReviewState | None:
    """The draft's review state, or None when nobody is waiting for a review of it."""
    return states([draft]).get(draft.id) if draft is not None else None


def history(draft: CourseDraft | None) -> list[ReviewRequest]:
    """Every review request of a draft, open or closed, newest first."""
    if draft is None:
        return []
    query = (
        select(ReviewRequest)
        .where(ReviewRequest.draft_id == draft.id)
        .options(selectinload(ReviewRequest.asked_by), selectinload(ReviewRequest.closed_by))
        .order_by(ReviewRequest.id.desc())
    )
    return list(db.session.scalars(query))


def publishers(space: Space, asker: User, *, allow_self: bool) -> list[User]:
    """Who may publish the draft now, other than the asker: its reviewers and the admins."""
    admins = select(User).where(User.role == Role.ADMIN)
    reviewers = (
        select(User)
        .join(CourseMember, CourseMember.user_id == User.id)
        .where(CourseMember.course_slug == space.slug, CourseMember.role == TeamRole.REVIEWER)
    )
    people = {u.id: u for u in [*db.session.scalars(admins), *db.session.scalars(reviewers)]}
    edits = review.unpublished_edits(space.draft)  # the same for everyone: read once
    return sorted(
        (
            person
            for person in people.values()
            if person.id != asker.id
            and person.is_active
            and review.publish_check(
                person, space.slug, space.title, space.draft, allow_self=allow_self, edits=edits
            ).allowed
        ),
        key=lambda u: u.full_name.lower(),
    )


def refusal(space: Space, user: User) -> str | None:
    """Why ``user`` may not ask for review of the draft now (None when they may)."""
    if not can_work_on(user, space.slug):
        return "Only people on the course's team can ask for its review."
    edits = review.unpublished_edits(space.draft)
    # Edits that cancel out (a save and its undo) leave nothing for learners to get.
    if not edits or not space.unpublished:
        return "There is nothing to review: the draft matches what learners see now."
    if all(r.author_id != user.id for r in edits):
        return ("Only someone who made changes in the draft asks for its review; a reviewer "
                "of the course reviews and publishes them.")  # fmt: skip
    return None


def ask_for_review(
    space: Space, user: User, note: str, ip_address: str | None, *, allow_self: bool
) -> Asked:
    """Ask for review of the draft's latest revision and email whoever may publish it.

    Asking again for the same revision records and sends nothing new.

    :raise RequestRefused: when the user may not ask (the message says why).
    """
    reason = refusal(space, user)
    if reason is not None or space.draft is None:
        raise RequestRefused(reason or "There is nothing to review yet.")
    draft = space.draft
    existing = _request_for(draft, draft.revision_number)
    if existing is not None:
        return Asked(existing, created=False)
    request = ReviewRequest(
        draft_id=draft.id,
        revision_number=draft.revision_number,
        asked_by_id=user.id,
        note=note.replace("\r\n", "\n").strip()[:MAX_NOTE],
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():  # a double click's second request meets the unique key
            db.session.add(request)
    except IntegrityError:
        found = _request_for(draft, draft.revision_number)
        if found is None:
            raise
        return Asked(found, created=False)
    told = publishers(space, user, allow_self=allow_self)
    for person in told:
        _tell_publisher(person, space, user, request)
    record_event(
        user, "review.requested", "course_draft", space.slug,
        {"request": request.id, "revision": request.revision_number, "note": request.note,
         "told": [p.id for p in told]}, ip_address,
    )  # fmt: skip
    return Asked(request, created=True, told=tuple(told))


def _request_for(draft: CourseDraft, number: int) -> ReviewRequest | None:
    query = select(ReviewRequest).where(
        ReviewRequest.draft_id == draft.id, ReviewRequest.revision_number == number
    )
    return db.session.scalar(query)


def _tell_publisher(person: User, space: Space, asker: User, request: ReviewRequest) -> None:
    note = f"\n\nTheir note:\n{request.note}" if request.note else ""
    text = (
        f"{asker.full_name} asks for a review of the draft of “{space.title}” (revision "
        f"{request.revision_number}) before it is published. You may publish it: review the "
        f"changes, comment, and publish when it is ready.{note}"
    )
    page = f"/author/courses/{space.slug}/publish"
    tell_account_holder(person, _subject("Review requested", space), text, page,
                        "Review and publish: ")  # fmt: skip


def add_comment(
    space: Space, user: User, body: str, file: str | None, ip_address: str | None
) -> RevisionComment:
    """Comment on the draft's latest revision and email the people waiting for review."""
    if space.draft is None:
        raise ValueError("a comment needs a draft")
    comment = review.add_comment(space.draft, user, body, file, ip_address)
    found = state(space.draft)
    text = comment.body if len(comment.body) <= EXCERPT else f"{comment.body[:EXCERPT]}…"
    where = f", about {comment.file}" if comment.file else ""
    said = (
        f"{user.full_name} commented on revision {comment.revision_number} of the draft of "
        f"“{space.title}”{where}:\n\n{text}"
    )
    for asker in found.askers if found else []:
        if asker.id == user.id or not asker.is_active:
            continue
        tell_account_holder(asker, _subject("Review comment", space), said,
                            f"/author/courses/{space.slug}/publish#comments",
                            "Read the comments and answer them: ")  # fmt: skip
    return comment


def close_on_publish(
    space: Space, publisher: User, version_number: int, ip_address: str | None
) -> list[ReviewRequest]:
    """Close the draft's open requests as published, and tell each asker who published it."""
    found = state(space.draft)
    if found is None:
        return []
    now = utcnow()
    for request in found.requests:
        request.closed_at, request.closed_by_id = now, publisher.id
        request.version_number = version_number
    for asker in found.askers:
        if asker.id == publisher.id or not asker.is_active:
            continue
        text = (
            f"{publisher.full_name} reviewed and published the draft of “{space.title}” as "
            f"version {version_number}. Learners see it now."
        )
        tell_account_holder(asker, _subject("Published", space), text,
                            f"/author/courses/{space.slug}/", "The course: ")  # fmt: skip
    record_event(
        publisher, "review.closed", "course_draft", space.slug,
        {"requests": [r.id for r in found.requests], "version": version_number}, ip_address,
    )  # fmt: skip
    db.session.flush()
    return list(found.requests)


def waiting_for(
    user: User, spaces: Sequence[Space], found: Mapping[int, ReviewState], *, allow_self: bool
) -> list[Waiting]:
    """The drafts among ``spaces`` that wait for a review ``user`` may publish, oldest first.

    ``found`` is the drafts' review states by draft id, as ``states`` gives them.
    """
    waiting = [
        Waiting(space, found[space.draft.id])
        for space in spaces
        if space.draft is not None
        and space.draft.id in found
        and review.publish_check(
            user, space.slug, space.title, space.draft, allow_self=allow_self
        ).allowed
    ]
    return sorted(waiting, key=lambda w: w.state.since)
