"""The search page's form: the role's filters (overridable for one search), the
minimum match and whether a recent covering role qualifies someone; and the
error summary's items for any form."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from skills_app.core.vocabulary import YesNoField
from skills_app.roles.forms import YES_NO, FiltersForm
from skills_app.roles.search import SearchFilters

DEFAULT_THRESHOLD_PERCENT = 80


class SearchForm(FiltersForm):
    """The search page: the role's filters (overridable), the threshold and
    whether a recent covering role qualifies someone (rule 7)."""

    threshold = forms.DecimalField(
        label="Minimum match",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
        help_text="A percentage from 0 to 100. People at or above it are listed",
        error_messages={
            "required": "Enter the minimum match, for example 80",
            "invalid": "Minimum match must be a number from 0 to 100, like 80",
            "min_value": "Minimum match must be 0 or more",
            "max_value": "Minimum match must be 100 or less",
            "max_digits": "Minimum match must be 100 or less",
            "max_decimal_places": "Minimum match can have one decimal place, like 72.5",
        },
    )
    prior = YesNoField(
        label="Include people who hold or recently held a role that covers this one?",
        choices=YES_NO,
        help_text="They are listed under their own heading, below the minimum match, if they hold "
        "now, or held in the last 3 years, a role whose profile covers at least 80% of this one "
        "(the same role or a more senior one)",
        error_messages={
            "required": "Select yes to include people who recently held a role that covers "
            "this one",
            "invalid_choice": "Select yes to include people who recently held a role that covers "
            "this one",
        },
    )

    drafts = YesNoField(
        label="Count skills people have not confirmed yet?",
        choices=YES_NO,
        required=False,
        help_text="Muster drafts skills from people's roles, job titles, qualifications and "
        "what they wrote. Until a person confirms a draft it counts only if you say yes here, "
        "labelled “draft”, and it weighs least in the confidence grade",
        error_messages={
            "invalid_choice": "Select yes to count skills people have not confirmed yet",
        },
    )

    field_order = ["threshold", "prior", "drafts"]

    @classmethod
    def defaults_for(cls, filters: SearchFilters) -> dict:
        initial = cls.initial_for(filters)
        initial.update(threshold=str(DEFAULT_THRESHOLD_PERCENT), prior="yes", drafts="no")
        return initial

    @property
    def threshold_fraction(self) -> float:
        return float(self.cleaned_data["threshold"]) / 100


FILTER_FIELDS = tuple(FiltersForm.base_fields)


def error_items(form: forms.Form, *, first_field: str = "") -> list[dict]:
    """A form's errors as {text, href} for components/error_summary.html, in field
    order; each links to the field's first input (its ``auto_id``)."""
    names = list(form.fields)
    items = [
        {"text": error, "href": f"#{form[first_field or names[0]].auto_id}"}
        for error in form.non_field_errors()
    ]
    for name in names:
        for error in form.errors.get(name, []):
            items.append({"text": error, "href": f"#{form[name].auto_id}"})
    return items
