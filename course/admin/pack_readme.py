"""The READMEs of the ZIPs admins hand out: what each file holds and what its columns mean.

An accreditor reads the audit pack, or a folder of certificates, without the provider at
hand: every file and column of the learner and history files is explained in words.
"""

from __future__ import annotations

import datetime as dt

from course.admin.roster import AuditScope
from course.dates import date_label, stamp_label, zone_label
from course.models import Course, CourseVersion, User
from course.provider import base_url, current_provider


def package_title(version: CourseVersion) -> str | None:
    """The course title as this version's package gave it."""
    return (version.manifest or {}).get("title")


def readme(
    course: Course,
    version: CourseVersion,
    scope: AuditScope,
    numbers: list[int],
    generated: str,
    completions: int,
) -> str:
    """The pack's README: what each file holds, the time zone, and every column explained."""
    packages = ", ".join(f"package/v{n}/" for n in numbers)
    # Said in words: a header-only CSV reads the same as an export that failed.
    found = (f"{completions} {'completion' if completions == 1 else 'completions'}"
             if completions else "none, so the files about completions, attempts, "
             "answers and certificates hold their header rows only")  # fmt: skip
    answered = "of the completions covered" if scope.detail() else "every response"
    zone = current_provider().time_zone
    return (
        # The version's own title: a later revision may have renamed the course.
        f"Audit pack for {package_title(version) or course.title} ({course.slug}), "
        f"generated {generated}.\n"
        f"Completions covered: {scope.describe()}: {found}.\n"
        f"Course facts, blueprint and seat time describe version {version.number}.\n\n"
        "outline.md                      course facts, approval, authors, objectives, lessons,\n"
        "                                evaluation items\n"
        "seat-time.md, seat-time.csv     the seat-time estimate, measured and self-reported\n"
        "                                time, and how the hour is set and measured\n"
        "lesson-times.csv                each completion's active time in each lesson beside\n"
        "                                the lesson's estimate and floor\n"
        "post-test-blueprint.csv         post-test questions per objective and the draw\n"
        f"evaluation-summary.csv          evaluation results per item ({answered})\n"
        f"evaluation-comments.csv         free-text evaluation comments ({answered})\n"
        "completion-roster.csv           each completion covered: version taken, score and\n"
        "                                passing score, active time beside the estimate\n"
        "post-test-attempts.csv          every post-test attempt of those learners, reset\n"
        "                                ones included, with the version and blueprint drawn,\n"
        "                                and the version and passing score that graded it\n"
        "                                (a learner who never completed has none here: their\n"
        "                                attempts count in item-analysis.csv and the report)\n"
        "post-test-answers.csv           every answer in those attempts that were submitted:\n"
        "                                the question, the learner's choice and the keyed\n"
        "                                one, as the grading version worded them\n"
        "certificates.csv                every certificate issued for those completions:\n"
        "                                valid, revoked (when, why) and replaced (by which\n"
        "                                code, when, why), with what each one states\n"
        "course-versions.csv             every published version of the course: when, by\n"
        "                                whom, the note given, its authors and contact hours\n"
        "approval-changes.csv            every change an administrator made to the course's\n"
        "                                CE approval: when, by whom, why, and what applied\n"
        "item-analysis.csv               each post-test question's difficulty and\n"
        "                                discrimination, over every attempt at the course\n"
        "sample-certificate-SPECIMEN.pdf a specimen certificate; not issued to anyone (its\n"
        "                                code and QR code open a page that says so)\n"
        f"package/vN/                     the course package source of each version: {packages}\n"
        "                                (the version described above and every version the\n"
        "                                completions covered were read, drawn or graded on;\n"
        "                                course-versions.csv lists them all)\n\n"
        f"Times are in the provider's time zone, {zone_label(zone)} ({zone}), written\n"
        "as ISO 8601 with their UTC offset; dates are calendar days in that zone.\n"
        "CSV files are UTF-8 with a byte-order mark, so that Excel shows accented names as\n"
        "written. CSV text cells that begin with = + - @ or a tab are prefixed with an\n"
        "apostrophe so that spreadsheets show them as text; numbers (a negative\n"
        "discrimination, say) are written as they are.\n\n"
        + _COLUMNS
    )


#: What the columns of the pack's learner files mean, for a reader outside the provider.
_COLUMNS = """Columns
-------
completion-roster.csv
  participant_name, license_number, license_jurisdiction
                   as the certificate states them (the account's where none was issued)
  email            the learner's account email
  enrolled_at, completed_at
                   when the learner enrolled, and completed the course (passed the
                   post-test and submitted the evaluation)
  course_title, contact_hours
                   the course and the contact hours as the certificate states them (the
                   version it was issued for); the version taken's where none was issued
  course_version   the version the learner took (see package/vN/)
  post_test_attempts
                   attempts counted toward the result (reset attempts are not)
  score, passing_score
                   the passing attempt's score and the pass mark that graded it (percent)
  active_minutes   measured active time in the lessons, to the tenth of a minute rounded
                   down, as in every file of the pack (see seat-time.md)
  estimated_minutes, minimum_active_minutes
                   the version's seat-time estimate and the minimum lesson time required
                   before the post-test opened
  evaluation_submitted_at
                   when the learner submitted the evaluation (answers are not linked to
                   names in this pack)
  certificate_code, certificate_status
                   the certificate as it stands: valid, revoked or not issued (a replaced
                   certificate gives way to its replacement; see certificates.csv)
  active_seconds   the same active time in whole seconds: the learner's active_seconds in
                   lesson-times.csv add up to it exactly, where minutes rounded down one
                   lesson at a time can add up to a tenth or two less

lesson-times.csv
  participant_name, email, course_version
                   as the completion roster names the learner, and the version taken
  lesson_position, lesson
                   the lesson
  started_at, completed_at
                   when the learner opened it first and marked it complete
  active_minutes   measured active time in it, to the tenth of a minute rounded down
  estimated_minutes, share_of_estimate_percent
                   the lesson's reading estimate in that version, and the active time as
                   a share of it
  active_seconds   the active time in whole seconds (they add up to the roster's)
  floor_minutes    the least active time the lesson must show before the post-test opens:
                   half its share of the minimum (see seat-time.md). Completions before
                   the engine checked floors may show less.

post-test-attempts.csv
  participant_name, email
                   as the completion roster names the learner
  attempt          1 for the first attempt, and so on
  course_version   the version the attempt's questions were drawn from
  started_at, submitted_at
                   when the attempt was opened and submitted
  correct, questions, score
                   questions answered correctly, questions asked, score in percent
  passed, counted  yes or no; an attempt an administrator reset is not counted
  reset_at, reset_reason
                   when and why an administrator reset the attempt
  blueprint        questions drawn per objective: "LO1: 2 of 6" is 2 drawn from 6
  graded_by_version, passing_score
                   the version that graded the attempt, and its pass mark
  minutes_taken    minutes from opening the attempt to submitting it, to the tenth rounded
                   down: the post-test has no time limit, and the seat-time estimate gives
                   it a minute a question; an attempt left open over a break counts the break

post-test-answers.csv
  participant_name, email, attempt, counted
                   the attempt, as in post-test-attempts.csv
  graded_by_version
                   the version that graded the answer (see package/vN/post-test.yaml)
  drawn_position   where the question stood in the attempt, from 1
  question_id      the question's id in post-test.yaml
  question, answer, keyed
                   the prompt, the learner's choices and the keyed choices, each choice
                   as "b. its text": the letter is its place in post-test.yaml of that
                   version (the learner saw the choices shuffled)
  correct          yes or no
  wording          "as graded": as the grading version worded the question; "as now":
                   an answer recorded before answers kept their wording, shown as the
                   question reads now

course-versions.csv
  version, published_at, published_by, note
                   each version of the course's content, when and by whom it was
                   published (imported), and the note given with it
  title, contact_hours, passing_score, estimated_minutes, authors, content_hash
                   what that version stated, and a hash of its package files

approval-changes.csv
  changed_at, change, changed_by, reason
                   when an administrator recorded or removed the course's approval, who,
                   and why
  approval_*, approved_from, approved_until
                   the approval that applied from then on (after a removal, the one the
                   package states, if any); an approval only in the package is in
                   outline.md

item-analysis.csv
  question_id, objective, prompt, in_use
                   the question, the objective it tests, and whether it is still in the
                   bank (a retired question's answers still count)
  answers, correct, difficulty_percent
                   answers given in submitted attempts, correct ones, share correct
  discrimination, reading
                   point-biserial correlation with the score on the attempt's other
                   questions (-1 to 1; 0.30 or more is good), shown from 10 answers

evaluation-summary.csv
  item, type, prompt
                   the evaluation item, its type (likert: a 1-5 agreement scale; choice;
                   number; text) and the question as the learner read it
  responses        how many learners answered the item
  option, option_label, count, percent
                   for likert and choice items, one row per option: its stored value,
                   its words (likert: 1 Strongly disagree, 2 Disagree, 3 Neither agree
                   nor disagree, 4 Agree, 5 Strongly agree), how many chose it and
                   their share of the responses
  mean             likert items: the mean on the 1-5 scale (5 agrees most)
  median           number items: the median answer (text items: see the comments file)

evaluation-comments.csv
  item, comment    each free-text answer, oldest first; never linked to a name. A comment
                   whose learner later deleted their account reads "[removed when the
                   learner's account was deleted]": its ratings stay in the summary

certificates.csv
  code, status     the certificate's code (verify it at the address in
                   snapshot_verify_url) and status: valid, revoked, or superseded
                   (replaced by a reissued certificate)
  issued_at        when the certificate was issued
  revoked_at, revoked_reason
                   when and why an administrator revoked it
  superseded_by_code, superseded_at, superseded_reason
                   the certificate that replaced it, when, and why: the reason
                   given for a correction, or "Reinstated: " and the reason when a
                   certificate revoked by mistake was reinstated on a new code
                   (it stays revoked)
  account_email    the learner's email address as it is now (the license is the one
                   the certificate states: snapshot_license_*)
  course_slug, course_version
                   the course and the version the certificate was earned on
  completed_at, post_test_score, active_minutes
                   the completion the certificate is for
  pdf_sha256       SHA-256 of the PDF as issued
  snapshot_*       what the certificate states, copied when it was issued (name,
                   license, course, completion date, contact hours, approval, provider)
  snapshot_sample  yes for a sample certificate, issued before the provider was set: it
                   says it is not valid for continuing-education credit
  snapshot_approval_*
                   empty where the certificate claims no approval (issued before one was
                   recorded, say); a reissued or reinstated certificate states what the
                   one it replaces stated
"""


def _issued(start: dt.date | None, end: dt.date | None) -> str:
    if start and end:
        return f"issued from {date_label(start)} to {date_label(end)}"
    if start:
        return f"issued on or after {date_label(start)}"
    if end:
        return f"issued on or before {date_label(end)}"
    return "issued at any time"


def certificates_readme(
    course: Course, start: dt.date | None, end: dt.date | None, count: int,
    made_by: User, made_at: dt.datetime, stated: list[tuple[int, str]] | None = None,
) -> str:  # fmt: skip
    """The certificate ZIP's README: its files, their names, who made it when, and how
    to verify a certificate (``stated``: each version and course title they print)."""
    verify = base_url() + "/verify"
    zone = current_provider().time_zone
    made = f"Made {stamp_label(made_at)} by {made_by.full_name} ({made_by.email})."
    # The titles the certificates print: a later version may have renamed the course.
    titles = "".join(f"  version {version}: {title}\n" for version, title in stated or ())
    return (
        f"Certificates for the course {course.slug}, {_issued(start, end)}: "
        f"{count} {'certificate' if count == 1 else 'certificates'}.\n"
        + (f"The course as they state it:\n{titles}" if titles else "")
        + f"{made}\n\n"
        "certificate-CODE.pdf  one certificate as it was issued, named by the code printed\n"
        "                      on it: certificate-9KFG-Z96V-Y6EM-CSH0-D.pdf is the one\n"
        "                      with code 9KFG-Z96V-Y6EM-CSH0-D; its SHA-256 in index.csv\n"
        "                      shows it is unchanged\n"
        "index.csv             one row per certificate, in the order issued:\n"
        "  code, status        the code, and its status when the ZIP was made: valid,\n"
        "                      revoked, or superseded (replaced by a reissued certificate).\n"
        "                      A PDF is kept as issued, so a revoked one does not say so:\n"
        "                      check its status at the address below\n"
        "  participant_name, completed_on\n"
        "                      the name and completion date the certificate states\n"
        "  course_title, course_version\n"
        "                      the course title it states, and the version earned on\n"
        "  issued_at           when it was issued\n"
        "  pdf_sha256, file    SHA-256 of the PDF, and its file in this ZIP\n"
        "  license_number, license_jurisdiction, contact_hours\n"
        "                      the license and the credit the certificate states (no\n"
        "                      license when the learner had none on file at issue)\n"
        "  superseded_by_code  the certificate that replaced this one after a correction,\n"
        "                      or reinstated its completion after a revocation made in\n"
        "                      error (this one stays revoked); the new one is in this ZIP\n"
        "                      if it was issued in the period the ZIP covers\n"
        "  revoked_at, revoked_reason\n"
        "                      when and why an administrator revoked it\n\n"
        "To verify a certificate, open the address its QR code holds,\n"
        f"  {verify}/CODE\n"
        f"or enter its code at {verify}\n"
        "The page says whether it is valid, revoked or replaced, and what it states.\n\n"
        f"Times are in the provider's time zone, {zone_label(zone)} ({zone}), written\n"
        "as ISO 8601 with their UTC offset; dates are calendar days in that zone.\n"
        "index.csv is UTF-8 with a byte-order mark; cells that begin with = + - @ or a tab\n"
        "are prefixed with an apostrophe so that spreadsheets show them as text.\n"
    )
