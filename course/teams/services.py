"""Membership of course teams, and what it lets a person do with one course.

Admins work on every course and need no membership. Anyone else in the author area
works only on the courses whose team they are on: authors edit them, reviewers edit,
review and publish them. Services flush; the caller commits once, with the audit event.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from course.audit import record_event
from course.extensions import db
from course.models import CourseMember, Role, TeamRole, User
from course.users import find_user_by_email


class TeamError(Exception):
    """A team change that cannot be made; the message says why."""


def membership(user: User, slug: str) -> CourseMember | None:
    """The user's place on a course's team, if they have one."""
    query = select(CourseMember).where(
        CourseMember.course_slug == slug, CourseMember.user_id == user.id
    )
    return db.session.scalar(query)


def team_role(user: User, slug: str) -> TeamRole | None:
    """The user's role on a course's team (None for admins without a row, and outsiders)."""
    member = membership(user, slug)
    return member.role if member else None


def is_admin(user: User) -> bool:
    """True for administrators, who work on every course."""
    return user.role == Role.ADMIN


def can_work_on(user: User, slug: str) -> bool:
    """True when the user may open, edit and comment on a course in the author area."""
    return is_admin(user) or (user.role == Role.AUTHOR and membership(user, slug) is not None)


def can_publish(user: User, slug: str) -> bool:
    """True when the user may review and publish a course (admins and its reviewers)."""
    return is_admin(user) or (
        user.role == Role.AUTHOR and team_role(user, slug) == TeamRole.REVIEWER
    )


def course_slugs(user: User) -> set[str] | None:
    """The slugs of the courses a user works on; None for admins (every course)."""
    if is_admin(user):
        return None
    if user.role != Role.AUTHOR:
        return set()
    query = select(CourseMember.course_slug).where(CourseMember.user_id == user.id)
    return set(db.session.scalars(query))


def members(slug: str) -> list[CourseMember]:
    """A course's team: reviewers first, then authors, each by name."""
    query = (
        select(CourseMember)
        .where(CourseMember.course_slug == slug)
        .options(selectinload(CourseMember.user))
    )
    order = {TeamRole.REVIEWER: 0, TeamRole.AUTHOR: 1}
    return sorted(
        db.session.scalars(query), key=lambda m: (order[m.role], m.user.full_name.lower())
    )


def get_member(slug: str, member_id: int) -> CourseMember | None:
    """One membership of a course's team by its id."""
    member = db.session.get(CourseMember, member_id)
    return member if member is not None and member.course_slug == slug else None


def add_member(
    slug: str,
    user: User,
    role: TeamRole | str,
    *,
    by: User | None,
    ip_address: str | None = None,
    reason: str | None = None,
) -> CourseMember:
    """Put someone on a course's team (``reason``: an admin's why, for the audit log).

    :raise TeamError: when they are not an author or already on the team.
    """
    role = TeamRole(role)
    if user.role == Role.ADMIN:
        raise TeamError(f"{user.full_name} is an administrator and already works on every course.")
    if user.role != Role.AUTHOR or not user.is_active:
        raise TeamError(
            f"{user.full_name} is not an author. Give the account the author role on its "
            "learner page first; only authors join course teams."
        )
    if membership(user, slug) is not None:
        raise TeamError(f"{user.full_name} is already on this course's team.")
    member = CourseMember(
        course_slug=slug, user_id=user.id, role=role, added_by_id=by.id if by else None
    )
    db.session.add(member)
    db.session.flush()
    record_event(
        by, "team.member_added", "course", slug,
        {**_who(user), "role": role.value, **_why(reason)}, ip_address,
    )  # fmt: skip
    return member


def _who(user: User) -> dict[str, object]:
    # Named as well as numbered: the log is read long after, by people who know names.
    return {"user_id": user.id, "name": user.full_name, "email": user.email}


def _why(reason: str | None) -> dict[str, str]:
    return {"reason": reason} if reason else {}


def add_member_by_email(
    slug: str, email: str, role: TeamRole | str, *, by: User, ip_address: str | None,
    reason: str | None = None,
) -> CourseMember:
    """Put the account with this email address on a course's team.

    :raise TeamError: when there is no such account, or it cannot join.
    """
    user = find_user_by_email(email)
    if user is None:
        raise TeamError(f"There is no account with the email address {email.strip()}.")
    return add_member(slug, user, role, by=by, ip_address=ip_address, reason=reason)


def change_role(
    member: CourseMember, role: TeamRole | str, *, by: User, ip_address: str | None,
    reason: str | None = None,
) -> None:
    """Make a team member an author or a reviewer of the course."""
    role = TeamRole(role)
    if member.role == role:
        return
    before, member.role = member.role, role
    record_event(
        by, "team.role_changed", "course", member.course_slug,
        {**_who(member.user), "from": before.value, "to": role.value, **_why(reason)},
        ip_address,
    )  # fmt: skip
    db.session.flush()


def remove_member(
    member: CourseMember, *, by: User, ip_address: str | None, reason: str | None = None
) -> None:
    """Take someone off a course's team (their revisions and comments stay theirs)."""
    record_event(
        by, "team.member_removed", "course", member.course_slug,
        {**_who(member.user), "role": member.role.value, **_why(reason)}, ip_address,
    )  # fmt: skip
    db.session.delete(member)
    db.session.flush()
