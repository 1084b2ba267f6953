"""Forms for the surge scenario editor.

The editor is one page: the scenario's own fields (``ScenarioForm``) and its demand
lines, one ``LineForm`` each, prefixed ``line-0``, ``line-1``, ... and counted by a
hidden ``line_count``. Lines are added and removed by submit buttons, so the page
works without JavaScript: the server re-renders the form with one row more or less
and everything typed so far. Percentages are typed as percentages (20, 72.5) and
handed to the services as fractions. Every line error names its line, so the error
summary says which one is wrong.

A line with a forecast (DESIGN.md section 11, entered on the line's forecast page)
carries it through the editor in a hidden field, as the JSON it is stored as: the
services write every line's fields from the form on each save, so the forecast must
come back with it. It is checked again (``forecasts.demand_from_json``) like any input.
Each saved line also carries its id in a hidden field, so saving updates that line in
place and it keeps its id (its forecast page and API clients hold it).
"""

from __future__ import annotations

import json
from decimal import Decimal

from django import forms

from matching.demand import DemandError, DemandModel
from skills_app.core.presenters import percent_number
from skills_app.people.forms import DatePartsMixin, date_initial
from skills_app.surge.forecasts import demand_from_json, peak_posts
from skills_app.surge.services import (
    DEFAULT_LOAN_WEEKS,
    DEFAULT_TRAINING_DAYS,
    MAX_LINES,
    MAX_LOAN_WEEKS,
    MAX_POSTS,
    MAX_TRAINING_DAYS,
    LineSpec,
)

MAX_HEADCOUNT = MAX_POSTS
MAX_DEMAND_CHARS = 100_000  # a stored forecast of 520 weeks is about 10,000
LINE_FIELDS = (
    "role",
    "headcount",
    "location",
    "start_day",
    "start_month",
    "start_year",
    "min_score",
    "loan_weeks",
    "demand",
    "line_id",
)
DEFAULT_LINE = {"min_score": "80", "loan_weeks": str(DEFAULT_LOAN_WEEKS)}


def _percent_field(*, label: str, help_text: str, what: str, example: str) -> forms.DecimalField:
    subject = what[0].upper() + what[1:]
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
        error_messages={
            "required": f"Enter {what}, for example {example}",
            "invalid": f"{subject} must be a number from 0 to 100, like {example}",
            "min_value": f"{subject} must be 0 or more",
            "max_value": f"{subject} must be 100 or less",
            "max_digits": f"{subject} must be 100 or less",
            "max_decimal_places": f"{subject} can have one decimal place, like 12.5",
        },
    )


def _plain_decimal(value) -> str:
    """Decimal("2.0") -> "2"; Decimal("10") -> "10"; Decimal("1.5") -> "1.5"."""
    return f"{Decimal(value).normalize():f}"


class ScenarioForm(DatePartsMixin, forms.Form):
    name = forms.CharField(
        label="Scenario name",
        max_length=255,
        help_text="For example, Winter benefit claims surge",
        error_messages={
            "required": "Enter a name for the scenario",
            "max_length": "Scenario name must be 255 characters or fewer",
        },
    )
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea,
        error_messages={"max_length": "Description must be 5,000 characters or fewer"},
    )
    release_cap = _percent_field(
        label="Release cap",
        help_text="The most any one unit can release, as a share of its staff, rounded down. "
        "For example, 20% of a unit of 52 people is 10 people",
        what="the release cap",
        example="20",
    )
    cap_org_depth = forms.TypedChoiceField(
        label="Organisation level the cap applies to",
        coerce=int,
        help_text="Each unit at this level is capped on its own, counting everyone beneath it",
        error_messages={
            "required": "Select the organisation level the cap applies to",
            "invalid_choice": "Select the organisation level the cap applies to",
        },
    )
    weeks_from_day = forms.CharField(required=False, max_length=8, strip=True)
    weeks_from_month = forms.CharField(required=False, max_length=8, strip=True)
    weeks_from_year = forms.CharField(required=False, max_length=8, strip=True)
    training_days_per_level = forms.DecimalField(
        label="Training days per level of gap",
        help_text="Working days of training someone needs for each level they are short of "
        "in each skill a line asks for. Their earliest start on a forecast line waits for "
        f"it, in whole weeks of 5 working days. Left blank: {DEFAULT_TRAINING_DAYS:g}",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal(str(MAX_TRAINING_DAYS)),
        max_digits=4,
        decimal_places=1,
        error_messages={
            "invalid": "Training days per level of gap must be a number from 0 to "
            f"{MAX_TRAINING_DAYS:g}, like 2",
            "min_value": "Training days per level of gap must be 0 or more",
            "max_value": f"Training days per level of gap must be {MAX_TRAINING_DAYS:g} or less",
            "max_digits": f"Training days per level of gap must be {MAX_TRAINING_DAYS:g} or less",
            "max_decimal_places": "Training days per level of gap can have one decimal place, "
            "like 1.5",
        },
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        min_value=1,
    )

    def __init__(self, *args, depth_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cap_org_depth"].choices = [(str(d), label) for d, label in depth_choices]

    @property
    def release_cap_fraction(self) -> float:
        return float(self.cleaned_data["release_cap"]) / 100

    def cap_values(self) -> tuple[float, int] | None:
        """The typed cap (as a fraction) and level when both are valid, whatever the
        rest of the form holds: the editor's cap warning needs only these two."""
        if not self.is_bound:
            return None
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        if "release_cap" not in cleaned or "cap_org_depth" not in cleaned:
            return None
        return self.release_cap_fraction, cleaned["cap_org_depth"]

    def clean(self):
        cleaned = super().clean()
        cleaned["weeks_from"] = self.clean_date_parts(
            "weeks_from", name="the date week 1 starts", not_future=False
        )
        if cleaned.get("training_days_per_level") is None and not self.has_error(
            "training_days_per_level"
        ):
            cleaned["training_days_per_level"] = Decimal(str(DEFAULT_TRAINING_DAYS))
        return cleaned

    @classmethod
    def initial_for(cls, scenario) -> dict:
        return {
            "name": scenario.name,
            "description": scenario.description,
            "release_cap": percent_number(scenario.release_cap),
            "cap_org_depth": str(scenario.cap_org_depth),
            "training_days_per_level": _plain_decimal(scenario.training_days_per_level),
            "version": scenario.version,
            **date_initial("weeks_from", scenario.weeks_from),
        }

    @staticmethod
    def new_initial() -> dict:
        return {"training_days_per_level": f"{DEFAULT_TRAINING_DAYS:g}"}


class LineForm(DatePartsMixin, forms.Form):
    """One demand line. ``number`` (from 1) goes into every message."""

    role = forms.TypedChoiceField(label="Role profile", coerce=int)
    # Not required with a forecast: ``clean`` asks for it when there is none.
    headcount = forms.IntegerField(
        label="Posts to fill", required=False, min_value=1, max_value=MAX_HEADCOUNT
    )
    location = forms.ChoiceField(label="Location", required=False)
    start_day = forms.CharField(required=False, max_length=8, strip=True)
    start_month = forms.CharField(required=False, max_length=8, strip=True)
    start_year = forms.CharField(required=False, max_length=8, strip=True)
    min_score = forms.DecimalField(
        label="Minimum match",
        help_text="People at or above this match score qualify. 80% is the usual bar",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
    )
    loan_weeks = forms.IntegerField(
        label="How many weeks do people stay?",
        help_text=f"Each person moved onto this line is on loan for this long, from 1 to "
        f"{MAX_LOAN_WEEKS} weeks. Left blank: {DEFAULT_LOAN_WEEKS}",
        required=False,
        min_value=1,
        max_value=MAX_LOAN_WEEKS,
    )
    demand = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=MAX_DEMAND_CHARS, strip=False
    )
    # The saved line this row is (blank for a new row). Not trusted: the service only
    # updates a line of this scenario by it, and anything else makes a new line.
    line_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=12)

    def __init__(
        self,
        *args,
        number: int,
        role_choices: list[tuple[int, str]],
        location_choices: list[str],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.number = n = number
        role = self.fields["role"]
        role.choices = [("", "Select a role profile")] + [(str(pk), t) for pk, t in role_choices]
        role.error_messages = {
            "required": f"Select the role profile for line {n}",
            "invalid_choice": f"Select the role profile for line {n}",
        }
        self.fields["location"].choices = [("", "Anywhere")] + [(x, x) for x in location_choices]
        self.fields["location"].error_messages = {
            "invalid_choice": f"Select the location for line {n}, or Anywhere",
        }
        self.fields["headcount"].error_messages = {
            "required": f"Enter the number of posts to fill for line {n}",
            "invalid": f"Posts to fill for line {n} must be a whole number, like 12",
            "min_value": f"Posts to fill for line {n} must be 1 or more",
            "max_value": f"Posts to fill for line {n} must be {MAX_HEADCOUNT:,} or fewer",
        }
        what = f"The minimum match for line {n}"
        self.fields["min_score"].error_messages = {
            "required": f"Enter the minimum match for line {n}, for example 80",
            "invalid": f"{what} must be a number from 0 to 100, like 80",
            "min_value": f"{what} must be 0 or more",
            "max_value": f"{what} must be 100 or less",
            "max_digits": f"{what} must be 100 or less",
            "max_decimal_places": f"{what} can have one decimal place, like 72.5",
        }
        weeks = f"The weeks people stay for line {n}"
        self.fields["loan_weeks"].error_messages = {
            "invalid": f"{weeks} must be a whole number, like 12",
            "min_value": f"{weeks} must be 1 or more",
            "max_value": f"{weeks} must be {MAX_LOAN_WEEKS} or fewer",
        }

        self.fields["demand"].error_messages = {
            "max_length": f"The forecast for line {n} is too long: open the scenario again",
        }
        # The saved line this row shows, when the page shows the lines as saved (it
        # links to the line's forecast page); None once rows can have moved.
        self.saved_line = None

    def clean(self):
        cleaned = super().clean()
        cleaned["start_date"] = self.clean_date_parts(
            "start", name=f"the start date for line {self.number}", not_future=False
        )
        raw = cleaned.get("demand") or ""
        cleaned["demand_model"] = None
        if raw.strip():
            model = forecast_model(raw)
            if model is None:
                self.add_error(
                    None,
                    f"The forecast for line {self.number} could not be read. It has been "
                    "taken off: enter the posts to fill, or add the forecast again after saving",
                )
            cleaned["demand_model"] = model
        elif cleaned.get("headcount") is None and "headcount" not in self.errors:
            self.add_error("headcount", self.fields["headcount"].error_messages["required"])
        return cleaned

    @property
    def forecast_peak(self) -> int | None:
        """The busiest week's posts of the forecast this row carries (None: no
        forecast, or one that cannot be read, which the row then drops)."""
        raw = self["demand"].value()
        if not raw or not isinstance(raw, str):
            return None
        model = forecast_model(raw)
        return peak_posts(model) if model is not None else None

    def line_spec(self) -> LineSpec:
        cd = self.cleaned_data
        return LineSpec(
            role_id=cd["role"],
            headcount=cd["headcount"] or 0,
            location=cd.get("location") or "",
            start_date=cd.get("start_date"),
            min_score=float(cd["min_score"]) / 100,
            loan_weeks=cd.get("loan_weeks") or DEFAULT_LOAN_WEEKS,
            demand=cd.get("demand_model"),
            line_id=_line_id(cd.get("line_id") or ""),
        )

    @staticmethod
    def initial_for(line) -> dict:
        return {
            "role": str(line.role_profile_id),
            "headcount": str(line.headcount),
            "location": line.location,
            "min_score": percent_number(line.min_score),
            "loan_weeks": str(line.loan_weeks),
            "demand": json.dumps(line.demand) if line.demand else "",
            "line_id": str(line.pk),
            **date_initial("start", line.start_date),
        }


def _line_id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() else None


def forecast_model(raw: str) -> DemandModel | None:
    """A line's forecast from the editor's hidden field, checked as any input is
    (None when it cannot be read or is not a valid forecast)."""
    if len(raw) > MAX_DEMAND_CHARS:
        return None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or not isinstance(data.get("item_name", ""), str):
            return None
        model = demand_from_json(data)
    except (ValueError, TypeError, RecursionError, DemandError):
        return None
    if len(model.item_name) > 60 or peak_posts(model) > MAX_POSTS:
        return None
    return model


def line_values(data, count: int) -> list[dict]:
    """The raw values of ``count`` posted lines, in order."""
    return [
        {field: data.get(f"line-{i}-{field}", "") for field in LINE_FIELDS} for i in range(count)
    ]


def line_count(data) -> int:
    try:
        count = int(data.get("line_count", "0"))
    except (TypeError, ValueError):
        count = 0
    return max(0, min(count, MAX_LINES))


def bind_lines(rows: list[dict], **choices) -> list[LineForm]:
    """Bound line forms for ``rows`` of raw values, renumbered from line 1."""
    forms_ = []
    for i, row in enumerate(rows):
        data = {f"line-{i}-{field}": value for field, value in row.items()}
        forms_.append(LineForm(data, prefix=f"line-{i}", number=i + 1, **choices))
    return forms_


def unbound_lines(initials: list[dict], **choices) -> list[LineForm]:
    return [
        LineForm(initial=initial, prefix=f"line-{i}", number=i + 1, **choices)
        for i, initial in enumerate(initials)
    ]
