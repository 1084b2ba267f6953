"""Forms for the move pages (DESIGN 10). Dates follow the GOV.UK date pattern
(``DatePartsMixin``); every form that changes a move carries the version it was
read at, so a step never lands on a move that changed under the reader."""

from __future__ import annotations

from django import forms

from skills_app.moves.models import ReserveNotice
from skills_app.moves.services import MAX_COST_NOTE, MAX_HOST, MAX_REASON
from skills_app.people.forms import DatePartsMixin, _part_field

STALE = "This page is out of date: open it again"


def _version() -> forms.IntegerField:
    return forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={"required": STALE, "invalid": STALE, "min_value": STALE},
    )


def _reason(label: str, hint: str, missing: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        max_length=MAX_REASON,
        error_messages={
            "required": missing,
            "max_length": f"Reason must be {MAX_REASON} characters or fewer",
        },
    )


class VersionForm(forms.Form):
    version = _version()


class RefuseForm(forms.Form):
    reason = _reason(
        "Why can you not release them?",
        "The workforce planner sees this. Do not include personal or sensitive details",
        "Enter why you cannot release this person",
    )
    version = _version()


class RefuseManyForm(forms.Form):
    reason = _reason(
        "Why can you not release them?",
        "One reason for everyone you selected. The workforce planner sees it. Do not include "
        "personal or sensitive details",
        "Enter why you cannot release these people",
    )


class CancelForm(forms.Form):
    reason = _reason(
        "Why is the move cancelled?",
        "The person's line manager and the planners see this",
        "Enter why the move is cancelled",
    )
    version = _version()


class ExtendForm(DatePartsMixin, forms.Form):
    end_day = _part_field()
    end_month = _part_field()
    end_year = _part_field()
    version = _version()

    def clean(self):
        cleaned = super().clean()
        cleaned["end_date"] = self.clean_date_parts(
            "end", name="the new end date", required=True, not_future=False
        )
        return cleaned


class ReserveForm(DatePartsMixin, forms.Form):
    notice = forms.ChoiceField(
        label="How much notice do you need before you could start?",
        choices=ReserveNotice.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select how much notice you need",
            "invalid_choice": "Select how much notice you need",
        },
    )
    available_from_day = _part_field()
    available_from_month = _part_field()
    available_from_year = _part_field()
    available_until_day = _part_field()
    available_until_month = _part_field()
    available_until_year = _part_field()

    def clean(self):
        cleaned = super().clean()
        cleaned["available_from"] = self.clean_date_parts(
            "available_from",
            name="the first day you are available",
            required=True,
            not_future=False,
        )
        cleaned["available_until"] = self.clean_date_parts(
            "available_until",
            name="the last day you are available",
            required=True,
            not_future=False,
        )
        return cleaned


class LoanForm(DatePartsMixin, forms.Form):
    staff_number = forms.CharField(
        label="Staff number of the person loaned",
        max_length=32,
        error_messages={
            "required": "Enter the staff number of the person loaned",
            "max_length": "Staff number must be 32 characters or fewer",
        },
    )
    host = forms.CharField(
        label="Organisation they are loaned to",
        help_text="For example, Department for Education",
        max_length=MAX_HOST,
        error_messages={
            "required": "Enter the organisation the person is loaned to",
            "max_length": f"Organisation must be {MAX_HOST} characters or fewer",
        },
    )
    start_day = _part_field()
    start_month = _part_field()
    start_year = _part_field()
    end_day = _part_field()
    end_month = _part_field()
    end_year = _part_field()
    cost_note = forms.CharField(
        label="Cost note (optional)",
        help_text="Who pays, for example: host pays salary and travel",
        required=False,
        max_length=MAX_COST_NOTE,
        error_messages={"max_length": f"Cost note must be {MAX_COST_NOTE} characters or fewer"},
    )

    def clean_staff_number(self):
        return self.cleaned_data["staff_number"].strip()

    def clean(self):
        cleaned = super().clean()
        cleaned["start"] = self.clean_date_parts(
            "start", name="the start date", required=True, not_future=False
        )
        cleaned["end"] = self.clean_date_parts(
            "end", name="the end date", required=True, not_future=False
        )
        return cleaned
