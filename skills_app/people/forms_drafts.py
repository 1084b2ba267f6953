"""Forms for "Check your draft skills" and "Find skills in your CV" (DESIGN 9).

Each decision about a draft carries the draft's ``version``: a draft that a
drafting run changed since the page was opened is not confirmed or rejected
unseen (``people.drafts`` raises ConflictError and the page says so).
"""

from __future__ import annotations

from django import forms

from skills_app.core.vocabulary import LevelField
from skills_app.people.drafts_text import TEXT_MAX
from skills_app.people.forms import _version_field
from taxonomy.models import LEVEL_CHOICES

OUT_OF_DATE = "This page is out of date: go back to your draft skills and open it again"


class DraftDecisionForm(forms.Form):
    """Confirm or reject one draft as it was shown."""

    version = _version_field()


class DraftLevelForm(forms.Form):
    """Confirm one draft at the level the person chooses."""

    level = LevelField(
        label="What is your level?",
        choices=LEVEL_CHOICES,
        error_messages={"required": "Choose your level", "invalid_choice": "Choose your level"},
    )
    version = _version_field()


class ConfirmAllForm(forms.Form):
    """Every draft the confirmation page listed, as "id:version"."""

    drafts = forms.MultipleChoiceField(widget=forms.MultipleHiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any "id:version" pair parses; which ids are the person's own is the
        # service's to decide (someone else's draft is simply not found there).
        self.fields["drafts"].valid_value = lambda value: True

    def clean_drafts(self) -> dict[int, int]:
        versions = {}
        for value in self.cleaned_data["drafts"]:
            pk, _, version = str(value).partition(":")
            if not (pk.isdigit() and version.isdigit()) or len(pk) > 18 or len(version) > 9:
                raise forms.ValidationError(OUT_OF_DATE)
            versions[int(pk)] = int(version)
        if not versions:
            raise forms.ValidationError("You have no draft skills to confirm")
        return versions


class TextForm(forms.Form):
    text = forms.CharField(
        label="Paste your CV, or write a few sentences about what you do",
        max_length=TEXT_MAX,
        strip=True,
        widget=forms.Textarea,
        help_text=(
            "For example, the jobs you have done and what you did in them. Muster keeps only the "
            "sentences that name the skills you add, so you can see later why they are there."
        ),
        error_messages={
            "required": "Paste your CV or write about what you do",
            "max_length": f"Your text must be {TEXT_MAX:,} characters or fewer",
        },
    )


class TextChoiceForm(TextForm):
    """The text again (hidden) with the skills the person ticked."""

    skills = forms.TypedMultipleChoiceField(
        label="Which skills do you want to add?",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select the skills you want to add",
            "invalid_choice": "Select the skills you want to add",
        },
    )

    def __init__(self, *args, skill_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].widget = forms.HiddenInput()
        self.fields["skills"].choices = list(skill_choices)
