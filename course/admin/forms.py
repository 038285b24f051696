"""Administration forms."""

from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from course.formfields import DateField, ListedChoiceField, SelectChoice, at_most
from course.forms import Form

ROLE_CHOICES = [("learner", "Learner"), ("author", "Author"), ("admin", "Admin")]
REASON_HINT = "Kept in the audit log with your name, the time and your address."


def reason_field(
    label: str = "Reason", message: str = "Give the reason.", *, id: str | None = None,
    hint: str = REASON_HINT,
) -> TextAreaField:
    """A required reason for the audit log (``id``: unique where forms share a page)."""
    return TextAreaField(
        label, description=hint, validators=[DataRequired(message), at_most(1000)], id=id,
    )


class _Period:
    """A form's ``start`` and ``end`` dates: an end before the start is refused."""

    def validate_end(self, field) -> None:
        """Refuse a period that ends before it starts."""
        start = self.start.data  # type: ignore[attr-defined]
        if start and field.data and field.data < start:
            raise ValidationError("The end date is before the start date.")


class RevokeForm(Form):
    """Revoke a certificate; the reason goes to the learner and into the audit log."""

    reason = TextAreaField(
        "Reason for revoking",
        description="Emailed to the learner and kept in the audit log.",
        validators=[DataRequired(message="Give the reason for revoking."), at_most(1000)],
        id="revoke-reason",
    )


class ReissueForm(Form):
    """Reissue a certificate with the name now on the learner's account; the reason is audited."""

    reason = TextAreaField(
        "Reason for reissuing",
        description="Kept in the audit log, e.g. “Name misspelled; learner's email of May 2”.",
        validators=[DataRequired(message="Give the reason for reissuing."), at_most(1000)],
    )


class ReinstateForm(Form):
    """Reinstate a revoked certificate's completion on a new certificate; the reason is audited."""

    reason = TextAreaField(
        "Reason for reinstating",
        description="Kept in the audit log, e.g. “Revoked the wrong learner’s certificate”."
        " The learner is emailed the new certificate's code.",
        validators=[DataRequired(message="Give the reason for reinstating."), at_most(1000)],
    )


class CertificateSearchForm(Form):
    """Find certificates by code, name or email."""

    class Meta:
        csrf = False

    q = StringField("Code, name or email", validators=[Optional(), at_most(200)])


class CertificateExportForm(_Period, Form):
    """Choose a course and a date range for a ZIP of certificates."""

    class Meta:
        csrf = False

    course = SelectField("Course", validators=[DataRequired()])
    start = DateField("Issued from", validators=[Optional()])
    end = DateField("Issued to (inclusive)", validators=[Optional()])


class LearnerSearchForm(Form):
    """Find accounts by name, email or licence number, optionally by role."""

    class Meta:
        csrf = False

    q = StringField("Name, email or license number", validators=[Optional(), at_most(200)])
    role = SelectField(
        "Role",
        choices=[SelectChoice("", "Any role")] + [SelectChoice(*c) for c in ROLE_CHOICES],
        validators=[Optional()],
    )


class RoleForm(Form):
    """Give an account a different role, saying why."""

    role = SelectField(
        "Role",
        choices=[SelectChoice(*c) for c in ROLE_CHOICES],
        validators=[DataRequired()],
    )
    reason = TextAreaField(
        "Reason for the change",
        description="Kept in the audit log with your name, the time and your address.",
        validators=[DataRequired("Give the reason for the change."), at_most(1000)],
        id="role-reason",
    )


class AccountStatusForm(Form):
    """Deactivate or reactivate an account, saying why."""

    reason = TextAreaField(
        "Reason",
        description="Kept in the audit log with your name, the time and your address.",
        validators=[DataRequired("Give the reason."), at_most(1000)],
        id="status-reason",
    )


class ResetLinkForm(Form):
    """Email the account a password-reset link, saying why."""

    reason = reason_field(
        "Reason for sending the link", id="reset-link-reason",
        hint="Kept in the audit log, e.g. “Asked by phone; her own requests were held back”.",
    )


class ClearSecondFactorForm(Form):
    """Turn off an account's two-step verification (a lost phone), saying why."""

    reason = reason_field(
        "Reason for turning it off", id="second-factor-reason",
        hint="Kept in the audit log, e.g. “Lost her phone; called from her desk line, which "
             "I know”. Check it is them before you do this.",
    )


class ActionForm(Form):
    """A button that changes something (the form only carries the CSRF token)."""


class AuditFilterForm(_Period, Form):
    """Narrow the audit log by actor, learner, action and dates."""

    class Meta:
        csrf = False

    actor = StringField("Actor (name or email)", validators=[Optional(), at_most(200)])
    learner = StringField(
        "About learner (full email or name)", validators=[Optional(), at_most(254)]
    )
    #: The learner page's link: an account, whatever its email address is now.
    learner_id = IntegerField(
        "Learner account",
        validators=[Optional(), NumberRange(min=1, message="An account number from 1.")],
    )
    action = ListedChoiceField(
        "Action", validators=[Optional()],
        refusal="No event in the log has this action yet: choose one from the list.",
    )
    start = DateField("From", validators=[Optional()])
    end = DateField("To (inclusive)", validators=[Optional()])


class AuditScopeForm(_Period, Form):
    """Narrow an audit pack or roster to one course version and a period of completions."""

    class Meta:
        csrf = False

    version = IntegerField(
        "Version", validators=[Optional(), NumberRange(min=1, message="A version number from 1.")]
    )
    start = DateField("Completed from", validators=[Optional()])
    end = DateField("Completed to (inclusive)", validators=[Optional()])


def action_choices(actions: list[str]) -> list:
    """Return the audit filter's action choices: any, then each action in the log."""
    return [SelectChoice("", "Any action")] + [SelectChoice(a, a) for a in actions]


class ApprovalForm(Form):
    """Record a course's CE approval in place of the package's; the reason is audited."""

    body = StringField(
        "Approval body", validators=[DataRequired("Name the approval body."), at_most(300)]
    )
    number = StringField(
        "Approval number", validators=[DataRequired("Give the approval number."), at_most(100)]
    )
    statement = TextAreaField(
        "Approval statement, as the body words it",
        validators=[DataRequired("Give the approval statement."), at_most(2000)],
    )
    period_start = DateField("Approved from", validators=[Optional()])
    period_end = DateField("Approved until (inclusive)", validators=[Optional()])
    reason = TextAreaField(
        "Reason for this change",
        description="Kept in the audit log, e.g. “Renewal letter of March 3, 2026”.",
        validators=[DataRequired("Give the reason for this change."), at_most(1000)],
        id="approval-reason",
    )

    def validate_period_end(self, field) -> None:
        """Refuse a period that ends before it starts."""
        start = self.period_start.data
        if start and field.data and field.data < start:
            raise ValidationError("The approval period ends before it starts.")


class ClearApprovalForm(Form):
    """Remove the admin's approval record, so the package's applies again."""

    reason = TextAreaField(
        "Reason for removing it",
        validators=[DataRequired("Give the reason for removing it."), at_most(1000)],
        id="clear-reason",
    )


class ReissueWithApprovalForm(Form):
    """Reissue the certificates issued before the approval was recorded, stating it."""

    reason = reason_field(
        "Reason for reissuing them", "Give the reason for reissuing them.", id="reissue-reason",
        hint="Kept in the audit log for each certificate, e.g. “Approval letter received "
             "March 3, 2026, backdated to January 1”.",
    )


TEAM_ROLE_CHOICES = [("author", "Author: edits the course"),
                     ("reviewer", "Reviewer: edits, reviews and publishes")]  # fmt: skip


class TeamAddForm(Form):
    """Put an author on a course's team, saying why."""

    email = StringField(
        "Author's email address",
        validators=[DataRequired(message="Give the author's email address."), at_most(254)],
    )
    role = SelectField("Role on this course", choices=[SelectChoice(*c) for c in TEAM_ROLE_CHOICES])
    reason = reason_field("Reason for adding them", "Give the reason for adding them.",
                          id="add-reason")


class TeamRoleForm(Form):
    """Change a team member's role on the course, saying why."""

    role = SelectField("Role on this course", choices=[SelectChoice(*c) for c in TEAM_ROLE_CHOICES])
    reason = reason_field("Reason for the change", "Give the reason for the change.",
                          id="team-role-reason")


class TeamRemoveForm(Form):
    """Take someone off a course's team, saying why."""

    reason = reason_field("Reason for taking them off", "Give the reason for taking them off.",
                          id="remove-reason")
