"""course.yaml's authors (with roles), disclosure, references and top-level approval."""

from __future__ import annotations

import datetime

import pytest
import yaml
from lessons_testkit import edited, errors, line_of, minimal_files

import lessons
from lessons import Approval, Author
from lessons.dump import dump_manifest

OLD_APPROVAL = """provider:
  name: Example CE Provider
  approval:
    body: Example Board of Social Work
    number: "886-123"
    statement: This course is approved for 0.25 General continuing-education contact hours.
"""
TOP_APPROVAL = """provider:
  name: Example CE Provider
approval:
  body: Example Board of Social Work
  number: "886-123"
  statement: This course is approved for 0.25 General continuing-education contact hours.
  period_start: 2026-01-01
  period_end: "2028-12-31"
"""
EXTRAS = """disclosure: |
  The authors have **no conflicts of interest** to disclose. No commercial support.
references:
  - "Polaris. (2023). *Annual report*. [Polaris](https://polarisproject.org/reports)"
  - National Center for Missing & Exploited Children. (2024). *Missing from care*.
"""


def _files(old: str = OLD_APPROVAL, new: str = TOP_APPROVAL) -> dict[str, str]:
    return edited(minimal_files(), "course.yaml", old, new)


def test_the_top_level_approval_is_read_with_its_period() -> None:
    package = lessons.load_files(_files())
    assert package.approval == Approval(
        "Example Board of Social Work",
        "886-123",
        "This course is approved for 0.25 General continuing-education contact hours.",
        datetime.date(2026, 1, 1),
        datetime.date(2028, 12, 31),
    )
    assert package.provider.approval is None


def test_the_older_provider_approval_is_still_read() -> None:
    package = lessons.load_files(minimal_files())
    assert package.approval == package.provider.approval
    assert package.approval.body == "Example Board of Social Work"
    assert package.approval.period_start is None and package.approval.period_end is None


def test_giving_the_approval_twice_is_an_error_on_the_top_level_line() -> None:
    files = _files(OLD_APPROVAL, OLD_APPROVAL + TOP_APPROVAL.split("\n", 2)[2])
    _, findings = lessons.check_files(files)
    found = [f for f in errors(findings) if "approval is given twice" in f.message]
    top_line = files["course.yaml"].splitlines().index("approval:") + 1
    assert [(f.file, f.line) for f in found] == [("course.yaml", top_line)]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("period_end: \"2028-12-31\"", "period_end: 2025-12-31",
         "approval: period_end 2025-12-31 is before period_start 2026-01-01"),
        ("period_end: \"2028-12-31\"", "period_end: next year",
         "approval: `period_end` must be a real date written as YYYY-MM-DD, not `next year`"),
        ("period_start: 2026-01-01", "period_start: 2026-13-01",
         "approval: `period_start` must be a real date written as YYYY-MM-DD, not `2026-13-01`"),
        ("period_start: 2026-01-01", "period_start: 2026-01-01 10:00:00",
         "approval: `period_start` must be a real date written as YYYY-MM-DD,"
         " not `2026-01-01 10:00:00`"),
        ("  number: \"886-123\"\n", "", "approval: missing key `number`"),
        ("period_start: 2026-01-01", "period_begins: 2026-01-01",
         "approval: unknown key `period_begins` (did you mean `period_end`?)"),
    ],
)  # fmt: skip
def test_a_malformed_approval_names_its_line(old: str, new: str, message: str) -> None:
    files = edited(_files(), "course.yaml", old, new)
    _, findings = lessons.check_files(files)
    assert message in [f.message for f in errors(findings)], findings
    found = next(f for f in findings if f.message == message)
    assert found.file == "course.yaml" and found.line > 0


def test_authors_take_an_optional_role_and_need_credentials() -> None:
    files = edited(
        minimal_files(), "course.yaml", "    credentials: LCSW\n",
        "    credentials: LCSW\n    role: Lead author\n",
    )  # fmt: skip
    package = lessons.load_files(files)
    assert package.authors == (
        Author("Alex Rivera", "LCSW", "Lead author"),
        Author("Sam Chen", "MSW, PhD", ""),
    )
    missing = edited(minimal_files(), "course.yaml", "    credentials: LCSW\n", "")
    _, findings = lessons.check_files(missing)
    assert "author: missing key `credentials`" in [f.message for f in errors(findings)]


def test_disclosure_and_references_are_rendered_safely() -> None:
    files = edited(minimal_files(), "course.yaml", "passing_score:", EXTRAS + "passing_score:")
    package = lessons.load_files(files)
    assert package.disclosure.startswith("The authors have **no conflicts")
    assert "<strong>no conflicts of interest</strong>" in package.disclosure_html
    assert len(package.references) == 2
    first = package.references_html[0]
    assert first.startswith("Polaris. (2023). <em>Annual report</em>.")
    assert '<a href="https://polarisproject.org/reports"' in first and "<p>" not in first


def test_a_hostile_reference_or_disclosure_is_sanitized() -> None:
    hostile = EXTRAS.replace(
        "No commercial support.", "<script>alert(1)</script> [x](javascript:alert(1))"
    ).replace("*Missing from care*.", "<img src=x onerror=alert(1)>")
    files = edited(minimal_files(), "course.yaml", "passing_score:", hostile + "passing_score:")
    package = lessons.load_files(files)
    html = package.disclosure_html + "".join(package.references_html)
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_a_reference_that_is_not_text_is_an_error() -> None:
    files = edited(
        minimal_files(), "course.yaml", "passing_score:", "references:\n  - {a: 1}\npassing_score:"
    )
    _, findings = lessons.check_files(files)
    assert any(f.message.startswith("a reference must be text") for f in errors(findings))


def test_the_package_provider_is_optional() -> None:
    files = _files(OLD_APPROVAL, "")
    package = lessons.load_files(files)
    assert package.provider == lessons.Provider("", None) and package.approval is None


def test_the_new_fields_survive_a_save_from_the_settings_form() -> None:
    files = edited(_files(), "course.yaml", "passing_score:", EXTRAS + "passing_score:")
    files = edited(files, "course.yaml", "    credentials: LCSW\n",
                   "    credentials: LCSW\n    role: Lead author\n")  # fmt: skip
    original = lessons.load_files(files)
    data = yaml.safe_load(files["course.yaml"])  # typed, as the settings form hands it over
    again = lessons.load_files({**files, "course.yaml": dump_manifest(data)})
    for name in ("authors", "disclosure", "references", "approval", "provider"):
        assert getattr(again, name) == getattr(original, name), name


def test_placeholder_credentials_are_a_warning_on_their_line() -> None:
    files = edited(minimal_files(), "course.yaml", "    credentials: LCSW\n",
                   "    credentials: TBD by the provider\n")
    _, findings = lessons.check_files(files)
    [found] = [f for f in findings if "placeholder" in f.message]
    assert (found.level, found.line) == ("warning", line_of(files["course.yaml"], "TBD by"))
    assert "every certificate prints them" in found.message
    # Real credentials pass without a word.
    assert not [f for f in lessons.check_files(minimal_files())[1] if "placeholder" in f.message]
    # Where certificates carry credit (a real provider, not a demo), it stops the package.
    _, credited = lessons.check_files(files, issues_credit=True)
    [error] = [f for f in credited if "placeholder" in f.message]
    assert (error.level, error.line) == ("error", found.line)
