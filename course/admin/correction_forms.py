"""Forms for correcting learner records: details, enrollments, attempts, requests.

Every form that changes a record asks why: the reason goes into the audit log.
"""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from course.admin.forms import reason_field
from course.formfields import SelectChoice, at_most
from course.forms import Form
from course.names import LicenceDetail, PersonName, name_filter


def course_choices(courses) -> list[SelectChoice]:
    """A course select's options: slug and title."""
    return [SelectChoice(c.slug, c.title) for c in courses]


class DetailsForm(Form):
    """Correct what certificates print about a learner; optionally reissue them."""

    full_name = StringField(
        "Full name, as certificates print it",
        filters=[name_filter],
        validators=[DataRequired("The name cannot be empty."), at_most(200), PersonName()],
    )
    licence_number = StringField(
        "License number",
        validators=[Optional(), at_most(64), LicenceDetail("license number")],
    )
    licence_jurisdiction = StringField(
        "License state or jurisdiction",
        validators=[Optional(), at_most(64), LicenceDetail("state or jurisdiction")],
    )
    reissue = BooleanField(
        "Reissue the learner's valid certificates with these details", default=True
    )
    reason = reason_field("Reason for the correction", "Give the reason for the correction.",
                          id="correction-reason")


class EnrolForm(Form):
    """Enroll one learner in a course for them."""

    course = SelectField("Course", validators=[DataRequired("Choose a course.")])
    reason = reason_field("Reason for enrolling them", "Give the reason for enrolling them.",
                          id="enroll-reason")


class BulkEnrolForm(Form):
    """Enroll the learners ticked in a list in one course."""

    users = SelectMultipleField("Learners", coerce=int, choices=[], validate_choice=False)
    course = SelectField("Enroll the selected learners in", validators=[DataRequired()])
    reason = reason_field("Reason", "Give the reason for enrolling them.")


class EmailEnrolForm(Form):
    """Enroll learners in a course by pasting their email addresses."""

    emails = TextAreaField(
        "Email addresses",
        description="One per line, or separated by commas. Each must belong to an account.",
        validators=[DataRequired("Paste at least one email address."), at_most(50_000)],
    )
    reason = reason_field("Reason", "Give the reason for enrolling them.")


class ResetAttemptForm(Form):
    """Reset a post-test attempt: it stays in the record but no longer counts."""

    attempt = HiddenField()
    reason = reason_field("Reason for the reset", "Give the reason for the reset.")


class AccountReasonForm(Form):
    """Deactivate or reactivate an account, saying why."""

    reason = reason_field()


class ResolveRequestForm(DetailsForm):
    """Make the correction a learner asked for; their valid certificates are reissued."""

    reissue = HiddenField(default="y")
    reason = reason_field("Note to the learner and the audit log", "Say what you changed.",
                          id="resolve-reason")


class DeclineRequestForm(Form):
    """Close a correction request without a change."""

    note = reason_field("Why not (the learner reads this)", "Tell the learner why not.")
