"""Form pieces shared by every area: choices that work across WTForms versions, and dates."""

from __future__ import annotations

from wtforms import DateField as _WTFormsDateField
from wtforms import SelectField
from wtforms.validators import Length, ValidationError

try:  # WTForms 3.3 and later; earlier versions take (value, label) tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover

    def SelectChoice(value: str, label: str) -> tuple[str, str]:  # type: ignore[no-redef]
        return (value, label)


INVALID_DATE = "Enter the date as year-month-day, such as 2026-12-02."

__all__ = ["INVALID_DATE", "DateField", "ListedChoiceField", "SelectChoice", "at_most"]


class DateField(_WTFormsDateField):
    """A date box whose refusal names the form of date it takes.

    Browsers with a date picker send year-month-day whatever they show; a date typed by
    hand into a plain box or an address was refused with WTForms' "Not a valid date
    value.", which does not say what would be valid.
    """

    def process_formdata(self, valuelist: list) -> None:
        """Read the date, or refuse it saying which form to use."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(INVALID_DATE) from None


class ListedChoiceField(SelectField):
    """A select whose refusal of a value not on its list says what to do instead.

    Such a value comes from an address typed or kept from before, where WTForms' "Not a
    valid choice." names no way forward.
    """

    def __init__(self, *args, refusal: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.refusal = refusal

    def pre_validate(self, form) -> None:
        """Refuse a value not on the list with this field's own words."""
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(self.refusal) from None


def at_most(limit: int) -> Length:
    """A length limit that says it in the site's words, and at what length."""
    return Length(max=limit, message=f"Keep it to {limit:,} characters or fewer.")
