"""Forms for the self-service profile ("Your profile").

Dates follow the GOV.UK date input pattern: separate day / month / year text
inputs (month and year only where a month is precise enough), assembled and
checked here with the GOV.UK wording ("Start date must include a year"). Each
error is attached to the first part that is wrong, so the error summary links
to it.

Every change form carries the row's ``version`` as a hidden field: the
services refuse to write when the row has moved on since the form was opened.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone

from skills_app.core.vocabulary import LevelField, YesNoField
from skills_app.people import selectors
from taxonomy.forms import SkillPickerForm
from taxonomy.models import LEVEL_CHOICES

NOTE_MAX = 500
YES_NO = [("yes", "Yes"), ("no", "No")]
MIN_YEAR = 1940


def _version_field() -> forms.IntegerField:
    return forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": "This form is out of date: go back to your profile and open it again",
            "invalid": "This form is out of date: go back to your profile and open it again",
        },
    )


def _part_field() -> forms.CharField:
    return forms.CharField(required=False, max_length=8, strip=True)


class DatePartsMixin:
    """Assemble ``<prefix>_day``/``_month``/``_year`` fields into a date."""

    def clean_date_parts(
        self,
        prefix: str,
        *,
        name: str,
        day: bool = True,
        required: bool = False,
        required_message: str = "",
        not_future: bool = True,
    ) -> dt.date | None:
        cd = self.cleaned_data
        parts = ["day", "month", "year"] if day else ["month", "year"]
        raw = {p: (cd.get(f"{prefix}_{p}") or "").strip() for p in parts}
        if not any(raw.values()):
            if required:
                self.add_error(f"{prefix}_{parts[0]}", required_message or f"Enter {name}")
            return None
        label = name[0].upper() + name[1:]
        missing = [p for p in parts if not raw[p]]
        if missing:
            self.add_error(
                f"{prefix}_{missing[0]}", f"{label} must include a {' and '.join(missing)}"
            )
            return None
        bad = [p for p in parts if not raw[p].isdigit()]
        if bad:
            self.add_error(f"{prefix}_{bad[0]}", f"{label} must be a real date")
            return None
        if len(raw["year"]) != 4:
            self.add_error(f"{prefix}_year", "Year must include 4 numbers")
            return None
        year, month = int(raw["year"]), int(raw["month"])
        try:
            value = dt.date(year, month, int(raw["day"]) if day else 1)
        except ValueError:
            first = "month" if not 1 <= month <= 12 else parts[0]
            self.add_error(f"{prefix}_{first}", f"{label} must be a real date")
            return None
        if year < MIN_YEAR:
            self.add_error(f"{prefix}_year", f"{label} must be after {MIN_YEAR}")
            return None
        today = timezone.localdate()
        if not_future and (value > today if day else value > today.replace(day=1)):
            self.add_error(
                f"{prefix}_{parts[0]}",
                f"{label} must be today or in the past" if day else f"{label} must be in the past",
            )
            return None
        return value


def date_initial(prefix: str, value: dt.date | None, *, day: bool = True) -> dict:
    if value is None:
        return {}
    out = {f"{prefix}_month": str(value.month), f"{prefix}_year": str(value.year)}
    if day:
        out[f"{prefix}_day"] = str(value.day)
    return out


# --- skills and languages -----------------------------------------------------------


class SkillClaimForm(DatePartsMixin, forms.Form):
    """Level, last used and the evidence note: what a person claims about one skill."""

    level = LevelField(
        label="What is your level?",
        choices=LEVEL_CHOICES,
        coerce=int,
        error_messages={
            "required": "Choose your level",
            "invalid_choice": "Choose your level",
        },
    )
    in_use = YesNoField(
        label="Do you use this skill now?",
        choices=YES_NO,
        error_messages={
            "required": "Select yes if you use this skill now",
            "invalid_choice": "Select yes if you use this skill now",
        },
    )
    last_used_month = _part_field()
    last_used_year = _part_field()
    note = forms.CharField(
        label="Evidence (optional)",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea,
        help_text="For example, a project where you used it, or a course you passed",
        error_messages={"max_length": f"Evidence must be {NOTE_MAX} characters or fewer"},
    )

    def __init__(self, *args, note_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.note_required = note_required
        if note_required:
            self.fields["note"].label = "Your answer"
            self.fields[
                "note"
            ].help_text = "Explain your evidence for this level. Your manager will see your answer"

    def clean(self):
        cleaned = super().clean()
        cleaned["last_used"] = None
        if cleaned.get("in_use") == "no":
            cleaned["last_used"] = self.clean_date_parts(
                "last_used",
                name="the date you last used it",
                day=False,
                required=True,
                required_message="Enter the month and year you last used it",
            )
        if self.note_required and not (cleaned.get("note") or "").strip() and "note" in cleaned:
            self.add_error("note", "Enter your answer to your manager’s question")
        return cleaned

    @staticmethod
    def initial_for(ps) -> dict:
        initial = {
            "level": ps.level,
            "in_use": "yes" if ps.last_used is None else "no",
            "note": ps.note,
            "version": ps.version,
        }
        initial.update(date_initial("last_used", ps.last_used, day=False))
        return initial


class SkillAddForm(SkillClaimForm, SkillPickerForm):
    picker_name = "skill"
    picker_label = "Which skill do you want to add?"
    picker_label_class = "govuk-label--s"
    picker_hint = "Start typing, then choose the skill from the list"
    picker_empty_message = "Enter the name of the skill"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["skill_query", "skill"])


class LanguageAddForm(SkillClaimForm):
    language = forms.ModelChoiceField(
        label="Which language?",
        queryset=selectors.language_skills(),
        empty_label="Choose a language",
        error_messages={
            "required": "Choose a language",
            "invalid_choice": "Choose a language from the list",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["in_use"].label = "Do you use this language now?"
        self.fields["in_use"].error_messages = {
            "required": "Select yes if you use this language now",
            "invalid_choice": "Select yes if you use this language now",
        }
        self.order_fields(["language"])


class SkillChangeForm(SkillClaimForm):
    version = _version_field()


class RemoveForm(forms.Form):
    version = _version_field()


# --- role history ------------------------------------------------------------------


class RoleForm(DatePartsMixin, forms.Form):
    title = forms.CharField(
        label="Job title",
        max_length=255,
        help_text="For example, Work coach or Senior data analyst",
        error_messages={
            "required": "Enter the job title",
            "max_length": "Job title must be 255 characters or fewer",
        },
    )
    start_month = _part_field()
    start_year = _part_field()
    current = YesNoField(
        label="Do you still do this role?",
        choices=YES_NO,
        error_messages={
            "required": "Select yes if you still do this role",
            "invalid_choice": "Select yes if you still do this role",
        },
    )
    end_month = _part_field()
    end_year = _part_field()
    # Set when the page offered a role-library match ("Is this the ‘X’ role?").
    offered_role = forms.IntegerField(required=False, widget=forms.HiddenInput)
    link_role = YesNoField(required=False, choices=[("", "")] + YES_NO)

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean(self):
        cleaned = super().clean()
        start = self.clean_date_parts(
            "start",
            name="the date you started",
            day=False,
            required=True,
            required_message="Enter the month and year you started this role",
        )
        end = None
        if cleaned.get("current") == "no":
            end = self.clean_date_parts(
                "end",
                name="the date it ended",
                day=False,
                required=True,
                required_message="Enter the month and year this role ended",
            )
            if start and end and end < start:
                self.add_error("end_month", "The date it ended must be after the date you started")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    @staticmethod
    def initial_for(row) -> dict:
        initial = {
            "title": row.title,
            "current": "yes" if row.end is None else "no",
            "version": row.version,
        }
        if row.role_profile_id:
            initial.update(offered_role=row.role_profile_id, link_role="yes")
        initial.update(date_initial("start", row.start, day=False))
        initial.update(date_initial("end", row.end, day=False))
        return initial


class RoleChangeForm(RoleForm):
    version = _version_field()


# --- qualifications ----------------------------------------------------------------


class QualificationForm(DatePartsMixin, forms.Form):
    name = forms.CharField(
        label="Name of the qualification or certificate",
        max_length=255,
        help_text="For example, PRINCE2 Foundation or NEBOSH General Certificate",
        error_messages={
            "required": "Enter the name of the qualification",
            "max_length": "Name must be 255 characters or fewer",
        },
    )
    issuer = forms.CharField(
        label="Awarded by (optional)",
        max_length=255,
        required=False,
        help_text="The organisation that awarded it",
        error_messages={"max_length": "Awarded by must be 255 characters or fewer"},
    )
    awarded_day = _part_field()
    awarded_month = _part_field()
    awarded_year = _part_field()
    expires_day = _part_field()
    expires_month = _part_field()
    expires_year = _part_field()

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_issuer(self):
        return " ".join(self.cleaned_data["issuer"].split())

    def clean(self):
        cleaned = super().clean()
        awarded = self.clean_date_parts("awarded", name="the date it was awarded")
        expires = self.clean_date_parts("expires", name="the expiry date", not_future=False)
        if awarded and expires and expires < awarded:
            self.add_error("expires_day", "The expiry date must be after the date it was awarded")
        cleaned["awarded"], cleaned["expires"] = awarded, expires
        return cleaned

    @staticmethod
    def initial_for(row) -> dict:
        initial = {"name": row.name, "issuer": row.issuer, "version": row.version}
        initial.update(date_initial("awarded", row.awarded))
        initial.update(date_initial("expires", row.expires))
        return initial


class QualificationChangeForm(QualificationForm):
    version = _version_field()


# --- redeployment preferences ------------------------------------------------------------


MAX_LOCATIONS = 20
LOCATION_MAX_LENGTH = 120


class PreferencesForm(DatePartsMixin, forms.Form):
    redeployable = YesNoField(
        label="Are you willing to be redeployed?",
        choices=YES_NO,
        help_text="In a crisis, you could be moved to another role for a while",
        error_messages={
            "required": "Select yes if you are willing to be redeployed",
            "invalid_choice": "Select yes if you are willing to be redeployed",
        },
    )
    locations = forms.MultipleChoiceField(
        label="Where else would you work?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply",
        error_messages={"invalid_choice": "Choose places from the list"},
    )
    other_locations = forms.CharField(
        label="Other places (optional)",
        required=False,
        max_length=1000,
        help_text="Separate places with commas, for example: Cardiff, Swansea",
        error_messages={"max_length": "Other places must be 1,000 characters or fewer"},
    )
    weekly_hours = forms.DecimalField(
        label="How many hours a week could you work?",
        min_value=Decimal("0.5"),
        max_value=Decimal("60"),
        max_digits=4,
        decimal_places=1,
        error_messages={
            "required": "Enter the hours a week you could work",
            "invalid": "Hours a week must be a number, like 37 or 22.5",
            "min_value": "Hours a week must be more than 0",
            "max_value": "Hours a week must be 60 or fewer",
            "max_digits": "Hours a week must be 60 or fewer",
            "max_decimal_places": "Hours a week can have at most one decimal place, like 22.5",
        },
    )
    available_from_day = _part_field()
    available_from_month = _part_field()
    available_from_year = _part_field()
    version = _version_field()

    def __init__(self, *args, location_choices: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].choices = [(loc, loc) for loc in location_choices]

    def clean(self):
        cleaned = super().clean()
        cleaned["available_from"] = self.clean_date_parts(
            "available_from", name="the date you are available from", not_future=False
        )
        chosen = list(cleaned.get("locations") or [])
        extra = [
            " ".join(part.split()) for part in (cleaned.get("other_locations") or "").split(",")
        ]
        too_long = [p for p in extra if len(p) > LOCATION_MAX_LENGTH]
        if too_long:
            self.add_error(
                "other_locations",
                f"Each place must be {LOCATION_MAX_LENGTH} characters or fewer",
            )
        merged: list[str] = []
        seen: set[str] = set()
        for place in chosen + [p for p in extra if p]:
            key = place.casefold()
            if key not in seen:
                seen.add(key)
                merged.append(place)
        if len(merged) > MAX_LOCATIONS:
            self.add_error("other_locations", f"Choose {MAX_LOCATIONS} places or fewer")
        cleaned["preferred_locations"] = merged
        return cleaned

    @staticmethod
    def initial_for(person, location_choices: list[str]) -> dict:
        known = {c.casefold(): c for c in location_choices}
        prefs = list(person.preferred_locations or [])
        initial = {
            "redeployable": "yes" if person.redeployable else "no",
            "locations": [known[p.casefold()] for p in prefs if p.casefold() in known],
            "other_locations": ", ".join(p for p in prefs if p.casefold() not in known),
            "weekly_hours": person.weekly_hours.normalize()
            if person.weekly_hours % 1
            else int(person.weekly_hours),
            "version": person.version,
        }
        initial.update(date_initial("available_from", person.available_from))
        return initial
