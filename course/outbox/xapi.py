"""xAPI statements for what an auditor or a training registry needs, in ADL's vocabulary.

Activity ids are the public addresses of what was done, built from the course package's
own ids (course slug, lesson slug, question id), so they stay stable across versions.
The learner is an account on this site (never an email address, unless the provider
turns ``XAPI_ACTOR_EMAIL`` on).
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS: dict[str, str] = {
    "registered": ADL + "registered",
    "launched": ADL + "launched",  # as cmi5 uses it: the course was opened for the learner
    "experienced": ADL + "experienced",
    "answered": ADL + "answered",
    "attempted": ADL + "attempted",
    "passed": ADL + "passed",
    "failed": ADL + "failed",
    "completed": ADL + "completed",
    "earned": "http://id.tincanapi.com/verb/earned",
    "voided": ADL + "voided",
}
COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"
LESSON_TYPE = "http://adlnet.gov/expapi/activities/lesson"
INTERACTION_TYPE = "http://adlnet.gov/expapi/activities/cmi.interaction"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/assessment"
CERTIFICATE_TYPE = "https://w3id.org/xapi/tla/activity-types/credential"
LANGUAGE = "en-US"
#: The context extension naming the learner's LMS accounts (see ``Learner``).
LMS_ACCOUNTS = "lms-accounts"


@dataclass(frozen=True)
class Learner:
    """Who the statement is about: an account here, or an email when allowed."""

    user_id: int
    name: str
    email: str | None = None
    #: The LMS accounts (platform issuer, its ``sub``) that launched the learner here, so
    #: an agency can join statements with its LMS's records; the actor stays as it is.
    lms_accounts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CourseRef:
    """The course a statement belongs to, and the site it lives on."""

    base_url: str
    slug: str
    title: str
    version: int
    enrolment_id: int
    site_name: str

    @property
    def url(self) -> str:
        """The course's activity id: its page."""
        return f"{self.base_url}/courses/{self.slug}"


def actor(learner: Learner, base_url: str) -> dict[str, Any]:
    """Return the xAPI Agent for a learner (by account when the address reaches nobody)."""
    # An account opened by an LMS launch holds a stand-in ``.invalid`` address: as an
    # mbox it would name someone no LRS user can find.
    if learner.email and not learner.email.endswith(".invalid"):
        return {"objectType": "Agent", "name": learner.name, "mbox": f"mailto:{learner.email}"}
    return {"objectType": "Agent", "name": learner.name,
            "account": {"homePage": base_url, "name": str(learner.user_id)}}


def duration(seconds: int) -> str:
    """Return seconds as an ISO 8601 duration, e.g. PT1H2M5S."""
    hours, rest = divmod(max(int(seconds), 0), 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{secs}S" if secs or text == "PT" else "")


def _name(text: str) -> dict[str, str]:
    return {LANGUAGE: text}


def _activity(activity_id: str, kind: str, name: str, **definition: Any) -> dict[str, Any]:
    return {"objectType": "Activity", "id": activity_id,
            "definition": {"type": kind, "name": _name(name), **definition}}


def course_activity(course: CourseRef) -> dict[str, Any]:
    """The course as an activity."""
    return _activity(course.url, COURSE_TYPE, course.title)


def registration(course: CourseRef) -> str:
    """One registration UUID per enrolment, the same in all its statements."""
    seed = f"{course.base_url}/enrolments/{course.enrolment_id}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


def statement(
    verb: str,
    learner: Learner,
    course: CourseRef,
    obj: dict[str, Any],
    when: datetime,
    *,
    result: dict[str, Any] | None = None,
    statement_id: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build one statement; the course is its parent unless it is the object itself.
    ``extensions`` go in the context (what the statement happened within)."""
    context: dict[str, Any] = {
        "registration": registration(course),
        "platform": course.site_name,
        "language": LANGUAGE,
    }
    if course.version:
        # Activity ids outlive a revision; the version is what tells a registry which
        # lessons, questions and hours a learner had (a revision may change them).
        context["revision"] = str(course.version)
    if learner.lms_accounts:
        extensions = {**(extensions or {}), _extension(course.base_url, LMS_ACCOUNTS): [
            {"homePage": issuer, "name": subject} for issuer, subject in learner.lms_accounts
        ]}
    if extensions:
        context["extensions"] = extensions
    if obj.get("id") != course.url:
        context["contextActivities"] = {"parent": [course_activity(course)]}
    body: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": actor(learner, course.base_url),
        "verb": {"id": VERBS[verb], "display": _name(verb)},
        "object": obj,
        "context": context,
        "timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if result is not None:
        body["result"] = result
    return body


def lesson_activity(course: CourseRef, slug: str, title: str) -> dict[str, Any]:
    """A lesson, by its slug in the package."""
    return _activity(f"{course.url}/lessons/{slug}", LESSON_TYPE, title)


def question_activity(course: CourseRef, key: str, prompt_html: str,
                      choices: list[tuple[str, str]],
                      correct: Sequence[str] = ()) -> dict[str, Any]:
    """A knowledge check, by its question id in the package, as a choice interaction with
    its keyed choices (so an LRS report can score the responses itself)."""
    prompt = _plain(prompt_html)
    keyed = {"correctResponsesPattern": ["[,]".join(sorted(correct))]} if correct else {}
    return _activity(
        f"{course.url}/questions/{key}", INTERACTION_TYPE, prompt[:200] or key,
        interactionType="choice", **keyed,
        choices=[{"id": cid, "description": _name(_plain(text)[:200])} for cid, text in choices],
    )


def post_test_activity(course: CourseRef) -> dict[str, Any]:
    """The course's post-test."""
    return _activity(f"{course.url}/post-test", ASSESSMENT_TYPE, f"Post-test: {course.title}")


def certificate_activity(verify_url: str, title: str) -> dict[str, Any]:
    """A certificate, identified by its public verification page."""
    return _activity(verify_url, CERTIFICATE_TYPE, f"Certificate of Completion: {title}",
                     moreInfo=verify_url)


def score_result(correct: int, total: int, percent: int, passed: bool) -> dict[str, Any]:
    """A post-test result: the scaled score the passing rule is judged on."""
    return {"score": {"scaled": round(percent / 100, 4), "raw": correct, "min": 0,
                      "max": total},
            "success": passed, "completion": True}


#: cmi5's context extension for the score that passes, scaled 0 to 1.
MASTERY_SCORE = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"


#: This site's extensions: (kind, label, definition), served at their own IRIs so that
#: each one resolves to what it means (xAPI asks an IRI's owner to describe it there).
EXTENSIONS: dict[str, tuple[str, str, str]] = {
    "attempt": ("ContextExtension", "Post-test attempt number",
                "The number of the learner's post-test attempt in this course, 1 for the "
                "first, as an integer."),
    "lms-accounts": ("ContextExtension", "The learner's LMS accounts",
                     "A list of {homePage, name} objects: the issuer of each LMS platform "
                     "that launched the learner, and the learner's user id (sub) there, "
                     "oldest first. Left out once the learner deletes their account."),
    "certificate-code": ("ResultExtension", "Certificate code",
                         "The code of the continuing-education certificate earned, as "
                         "printed on it and checked at the site's verification page."),
    "contact-hours": ("ResultExtension", "Contact hours",
                      "The continuing-education contact hours the certificate awards, as a "
                      "number (for example 1.0)."),
    "credit-type": ("ResultExtension", "Credit type",
                    "The kind of continuing-education credit awarded, as printed on the "
                    "certificate (for example \"General\")."),
}


def extension_description(base_url: str, name: str) -> dict[str, Any] | None:
    """The description an extension's IRI resolves to, as an xAPI Profile concept."""
    if name not in EXTENSIONS:
        return None
    kind, label, definition = EXTENSIONS[name]
    return {"id": _extension(base_url, name), "type": kind,
            "prefLabel": {LANGUAGE: label}, "definition": {LANGUAGE: definition}}


def _extension(base_url: str, name: str) -> str:
    # This site's own extension IRIs, under its address (docs/interoperability.md).
    return f"{base_url}/xapi/extensions/{name}"


def without_lms_accounts(body: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Return the statement without the learner's LMS accounts (for a deleted account)."""
    context = body.get("context") or {}
    extensions = dict(context.get("extensions") or {})
    if extensions.pop(_extension(base_url, LMS_ACCOUNTS), None) is None:
        return body
    context = {**context, "extensions": extensions}
    if not extensions:
        del context["extensions"]
    return {**body, "context": context}


def attempt_context(base_url: str, number: int, passing_score: int | None) -> dict[str, Any]:
    """A post-test attempt's number (1 for the first), and the score that passes it."""
    extensions: dict[str, Any] = {_extension(base_url, "attempt"): number}
    if passing_score is not None:
        extensions[MASTERY_SCORE] = round(passing_score / 100, 4)
    return extensions


def credit_result(base_url: str, code: str, hours: Any, credit_type: Any) -> dict[str, Any]:
    """An earned certificate's credit as result extensions a registry can total:
    contact hours (a number), the credit type and the certificate's code."""
    extensions: dict[str, Any] = {_extension(base_url, "certificate-code"): code}
    if hours is not None:
        extensions[_extension(base_url, "contact-hours")] = float(hours)
    if credit_type:
        extensions[_extension(base_url, "credit-type")] = str(credit_type)
    return {"completion": True, "success": True, "extensions": extensions}


def voiding(statement_id: str, authority_name: str, base_url: str,
            when: datetime) -> dict[str, Any]:
    """A statement by the provider voiding an earlier one (a revoked certificate)."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": authority_name,
                  "account": {"homePage": base_url, "name": "provider"}},
        "verb": {"id": VERBS["voided"], "display": _name("voided")},
        "object": {"objectType": "StatementRef", "id": statement_id},
        "timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _plain(html_text: str) -> str:
    """Authored HTML (already sanitized) as one line of plain text."""
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", html_text))).strip()
