"""course.yaml: the course manifest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from yaml.nodes import Node

from .model import Approval, Author, Objective, Provider, SupportContact
from .questions import ID_PATTERN
from .render import render_inline, render_markdown
from .yamlread import MapReader, Source, string_items

COURSE_FILE = "course.yaml"
COURSE_KEYS = (
    "slug", "title", "version", "summary", "audience", "level", "format", "contact_hours",
    "credit_type", "objectives", "authors", "provider", "passing_score", "post_test",
    "advisory", "support", "sequential", "min_active_minutes", "disclosure", "references",
    "approval",
)  # fmt: skip
POST_TEST_KEYS = ("draw", "max_attempts", "retake_wait_minutes", "review")
#: What a post-test review shows. ``missed``: a failed attempt shows which questions were
#: missed, the learner's answers and the explanations but not the keyed choices; a passed
#: one shows everything. ``keyed``: every review shows the keyed choices. ``score``: a
#: failed attempt shows only the score and the objectives of the missed questions.
REVIEW_POLICIES = ("missed", "keyed", "score")
DEFAULT_REVIEW = "missed"
#: No cap on attempts by default, but a wait after each failed one (docs/ce-credit.md).
DEFAULT_MAX_ATTEMPTS = 0
DEFAULT_RETAKE_WAIT_MINUTES = 10
LEVELS = ("introductory", "intermediate", "advanced")
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
# The app renders support URLs as links, so only schemes a browser will not execute.
SUPPORT_URL = re.compile(r"(?i)(https?://|mailto:|tel:)\S+")


@dataclass(frozen=True)
class Manifest:
    """The fields of course.yaml; objectives_ok is False when the objective list was unusable."""

    slug: str
    title: str
    version: int
    summary: str
    audience: str
    level: str
    format: str
    contact_hours: float
    credit_type: str
    objectives: tuple[Objective, ...]
    authors: tuple[Author, ...]
    provider: Provider
    passing_score: int
    post_test_draw: int
    #: Submitted attempts allowed; 0 means no cap.
    post_test_max_attempts: int
    #: Minutes a learner waits after a failed attempt before the next draw.
    post_test_retake_wait_minutes: int
    #: What a review shows (see REVIEW_POLICIES).
    post_test_review: str
    advisory: str
    advisory_html: str
    support: tuple[SupportContact, ...]
    sequential: bool
    #: None when course.yaml leaves it out: the course then gets the default share.
    min_active_minutes: int | None
    disclosure: str
    disclosure_html: str
    references: tuple[str, ...]
    references_html: tuple[str, ...]
    approval: Approval | None
    objectives_ok: bool


def parse_manifest(source: Source, node: Node | None, expected_slug: str | None) -> Manifest:
    """Read course.yaml, reporting every schema problem to `source`."""
    r = MapReader(source, node, "course.yaml", COURSE_KEYS)
    slug = r.string("slug") or ""
    if slug and not SLUG_PATTERN.fullmatch(slug):
        source.error(r.line_of("slug"), f"slug `{slug}` must use only a-z, 0-9 and dashes")
    if slug and expected_slug is not None and slug != expected_slug:
        source.error(
            r.line_of("slug"), f"slug `{slug}` must match the folder name `{expected_slug}`"
        )
    version = r.integer("version")
    if version is not None and version < 1:
        source.error(r.line_of("version"), "version must be 1 or more")
    level = r.string("level") or ""
    if level and level not in LEVELS:
        source.error(r.line_of("level"), f"level `{level}` must be one of {', '.join(LEVELS)}")
    hours = r.number("contact_hours")
    if hours is not None and (hours <= 0 or (hours * 4) % 1):
        source.error(r.line_of("contact_hours"), "contact_hours must be more than 0, in steps "
                     "of 0.25 (for example 0.5, 1.0 or 1.25)")
    score = r.integer("passing_score")
    if score is not None and not 0 <= score <= 100:
        source.error(r.line_of("passing_score"), "passing_score is a percent, 0 to 100")
    draw, max_attempts, wait, review = _post_test(source, r)
    minutes = r.integer("min_active_minutes", required=False)
    if minutes is not None and minutes < 0:
        source.error(r.line_of("min_active_minutes"), "min_active_minutes must be 0 or more")
    objectives, objectives_ok = _objectives(source, r)
    advisory = r.string("advisory") or ""
    support = _support(source, r)
    if r.ok and not support and r.has("support"):
        source.error(r.line_of("support"), "support needs at least one contact")
    provider = _provider(source, r)
    approval = _approval(source, r, provider)
    disclosure = r.string("disclosure", required=False) or ""
    references = _references(source, r)
    return Manifest(
        slug=slug,
        title=r.string("title") or "",
        version=version or 0,
        summary=r.string("summary") or "",
        audience=r.string("audience") or "",
        level=level,
        format=r.string("format") or "",
        contact_hours=hours or 0.0,
        credit_type=r.string("credit_type") or "",
        objectives=objectives,
        authors=_authors(source, r),
        provider=provider,
        passing_score=score or 0,
        post_test_draw=draw,
        post_test_max_attempts=max_attempts,
        post_test_retake_wait_minutes=wait,
        post_test_review=review,
        advisory=advisory,
        advisory_html=render_markdown(advisory),
        support=support,
        sequential=r.boolean("sequential", False),
        min_active_minutes=minutes,
        disclosure=disclosure,
        disclosure_html=render_markdown(disclosure),
        references=references,
        references_html=tuple(render_inline(reference) for reference in references),
        approval=approval,
        objectives_ok=objectives_ok and r.ok,
    )


def _post_test(source: Source, r: MapReader) -> tuple[int, int, int, str]:
    """The draw, attempt cap, retake wait and review policy of ``post_test:``."""
    defaults = (0, DEFAULT_MAX_ATTEMPTS, DEFAULT_RETAKE_WAIT_MINUTES, DEFAULT_REVIEW)
    if not r.ok:
        return defaults
    post_test = MapReader(source, r.node("post_test"), "post_test", POST_TEST_KEYS)
    if not post_test.ok:
        return defaults
    draw = post_test.integer("draw")
    if draw is not None and draw < 1:
        source.error(post_test.line_of("draw"), "post_test draw must be 1 or more")
    numbers = []
    for key, default in (("max_attempts", defaults[1]), ("retake_wait_minutes", defaults[2])):
        value = post_test.integer(key, required=False)
        if value is not None and value < 0:
            source.error(post_test.line_of(key), f"post_test {key} must be 0 or more")
        numbers.append(default if value is None else max(0, value))
    review = post_test.string("review", required=False) or DEFAULT_REVIEW
    if review not in REVIEW_POLICIES:
        source.error(
            post_test.line_of("review"),
            f"post_test review `{review}` must be one of {', '.join(REVIEW_POLICIES)}",
        )
    return draw or 0, numbers[0], numbers[1], review


def _objectives(source: Source, r: MapReader) -> tuple[tuple[Objective, ...], bool]:
    nodes = r.sequence("objectives")
    if nodes is None:
        return (), False
    objectives: list[Objective] = []
    seen: dict[str, int] = {}
    for node in nodes:
        item = MapReader(source, node, "objective", ("id", "text"))
        if not item.ok:
            continue
        oid = item.string("id") or ""
        line = item.line_of("id")
        if oid and not ID_PATTERN.fullmatch(oid):
            source.error(line, f"objective id `{oid}` must match {ID_PATTERN.pattern}")
        if oid in seen:
            source.error(line, f"duplicate objective id `{oid}` (first at line {seen[oid]})")
        elif oid:
            seen[oid] = line
        objectives.append(Objective(oid, item.string("text") or ""))
    return tuple(objectives), True


def _authors(source: Source, r: MapReader) -> tuple[Author, ...]:
    authors = []
    for node in r.sequence("authors", required=False) or []:
        item = MapReader(source, node, "author", ("name", "credentials", "role"))
        if item.ok:
            authors.append(
                Author(
                    item.string("name") or "",
                    item.string("credentials") or "",
                    item.string("role", required=False) or "",
                )
            )
    return tuple(authors)


def _references(source: Source, r: MapReader) -> tuple[str, ...]:
    nodes = r.sequence("references", required=False) or []
    return tuple(text for text, _ in string_items(source, nodes, "a reference"))


def _provider(source: Source, r: MapReader) -> Provider:
    """The package's optional provider block (the deployment names the real provider)."""
    if not r.ok or not r.has("provider"):
        return Provider("", None)
    item = MapReader(source, r.node("provider"), "provider", ("name", "approval"))
    if not item.ok:
        return Provider("", None)
    approval = None
    if item.has("approval"):
        approval = _read_approval(source, item.node("approval"), "provider approval")
    return Provider(item.string("name", required=False) or "", approval)


def _approval(source: Source, r: MapReader, provider: Provider) -> Approval | None:
    """The top-level `approval:`, or the older `provider.approval`; never both."""
    if not r.ok or not r.has("approval"):
        return provider.approval
    if provider.approval is not None:
        source.error(
            r.line_of("approval"),
            "approval is given twice: keep the top-level `approval:` and remove"
            " `provider.approval` (its older place)",
        )
    return _read_approval(source, r.node("approval"), "approval")


APPROVAL_KEYS = ("body", "number", "statement", "period_start", "period_end")


def _read_approval(source: Source, node: Node | None, what: str) -> Approval | None:
    a = MapReader(source, node, what, APPROVAL_KEYS)
    if not a.ok:
        return None
    start, end = a.date("period_start", required=False), a.date("period_end", required=False)
    if start and end and end < start:
        source.error(
            a.line_of("period_end"),
            f"{what}: period_end {end.isoformat()} is before period_start {start.isoformat()}",
        )
    return Approval(
        a.string("body") or "",
        a.string("number") or "",
        a.string("statement") or "",
        start,
        end,
    )


def _support(source: Source, r: MapReader) -> tuple[SupportContact, ...]:
    contacts = []
    for node in r.sequence("support") or []:
        item = MapReader(source, node, "support contact", ("name", "contact", "url", "note"))
        if not item.ok:
            continue
        url = item.string("url", required=False)
        if url and not SUPPORT_URL.fullmatch(url):
            source.error(
                item.line_of("url"),
                f"support url `{url}` must start with https://, http://, mailto: or tel:",
            )
            url = None
        contacts.append(
            SupportContact(
                name=item.string("name") or "",
                contact=item.string("contact") or "",
                url=url,
                note=item.string("note", required=False),
            )
        )
    return tuple(contacts)
