"""Forms for the taxonomy pages, and the reusable skill picker.

The skill picker is one skill chosen by name. In the page it is a text input
(``<name>_query``) and a hidden skill id (``<name>``); with JavaScript,
``static/js/skill-autocomplete.js`` turns the text input into a combobox that
fills the hidden id. Without JavaScript (or when someone just types and
submits) the form resolves the text with the normaliser:

- ``auto``: one confident match, which becomes the chosen skill;
- ``suggest``: the form is re-rendered with GOV.UK radios of the candidates
  (named ``<name>``, replacing the hidden id) and the error "Choose the skill
  you meant";
- ``none``: an error pointing to the propose-a-skill page.

Use it by subclassing :class:`SkillPickerForm` (set ``picker_name``,
``picker_label`` and friends) and rendering
``{% include "includes/skill_autocomplete.html" with picker=form.skill_picker %}``.
``form.cleaned_data[picker_name]`` is then a ``Skill`` (or ``None`` when the
picker is optional and left blank).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError

from skills_app.core.vocabulary import LevelField
from taxonomy.labels import SkillMatch, decide_skill
from taxonomy.models import Skill, SkillKind, SkillStatus

QUERY_MAX_LENGTH = 200


@dataclass
class SkillPicker:
    """What ``templates/includes/skill_autocomplete.html`` renders."""

    query_name: str
    query_id: str
    query_value: str = ""
    label: str = "Skill"
    label_class: str = "govuk-label--s"
    hint: str = ""
    errors: list[str] = field(default_factory=list)
    # The hidden skill id; None for a search box whose options are links (navigate).
    id_name: str | None = None
    id_input_id: str = ""
    id_value: str = ""
    suggestions: list[SkillMatch] = field(default_factory=list)
    suggestion_errors: list[str] = field(default_factory=list)
    outcome: str = ""  # "", "auto", "suggest" or "none" after a submit
    navigate: bool = False
    exclude: int | None = None
    input_classes: str = "govuk-!-width-two-thirds"
    input_type: str = "text"

    @property
    def suggestion_items(self) -> list[dict]:
        """The radios: the first takes the field's own id, so the error summary's
        link lands on it (the GOV.UK convention)."""
        items = []
        for number, match in enumerate(self.suggestions, start=1):
            input_id = self.id_input_id if number == 1 else f"{self.id_input_id}-{number}"
            items.append({"match": match, "input_id": input_id, "hint_id": f"{input_id}-hint"})
        return items


class SkillPickerForm(forms.Form):
    picker_name = "skill"
    picker_label = "Skill"
    picker_label_class = "govuk-label--s"
    picker_hint = "Start typing, then choose the skill from the list"
    picker_required = True
    picker_empty_message = "Enter the name of a skill"
    picker_suggest_message = "Choose the skill you meant"
    picker_none_message = "We could not find that skill: check the spelling or propose it"
    picker_excluded_message = "Choose a different skill"

    def __init__(self, *args, exclude_skill_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        name = self.picker_name
        self.fields[f"{name}_query"] = forms.CharField(
            label=self.picker_label, required=False, max_length=QUERY_MAX_LENGTH
        )
        self.fields[name] = forms.CharField(required=False, widget=forms.HiddenInput)
        self.exclude_skill_id = exclude_skill_id
        self.picker_outcome = ""
        self.picker_suggestions: list[SkillMatch] = []
        self.picker_skill: Skill | None = None

    def clean(self):
        cleaned = super().clean()
        self._resolve_picker(cleaned)
        return cleaned

    def _chosen_skill(self, raw: str) -> Skill | None:
        if not raw.isdigit():
            return None
        skill = Skill.objects.filter(pk=int(raw), status=SkillStatus.ACTIVE).first()
        if skill is None or skill.pk == self.exclude_skill_id:
            return None
        return skill

    def _resolve_picker(self, cleaned: dict) -> None:
        name = self.picker_name
        query_field = f"{name}_query"
        query = " ".join((cleaned.get(query_field) or "").split())
        cleaned[query_field] = query
        chosen = self._chosen_skill((cleaned.get(name) or "").strip())
        cleaned[name] = chosen
        if chosen is not None:
            self.picker_skill = chosen
            return
        if not query:
            if self.picker_required:
                self.add_error(query_field, self.picker_empty_message)
            return
        outcome, matches = decide_skill(query)
        kept = [m for m in matches if m.skill.pk != self.exclude_skill_id]
        if outcome == "auto" and kept and matches and kept[0] is matches[0]:
            self.picker_outcome = "auto"
            self.picker_skill = cleaned[name] = kept[0].skill
        elif kept:
            self.picker_outcome = "suggest"
            self.picker_suggestions = kept
            self.add_error(name, self.picker_suggest_message)
        else:
            self.picker_outcome = "none"
            self.add_error(
                query_field,
                self.picker_excluded_message if matches else self.picker_none_message,
            )

    @property
    def skill_picker(self) -> SkillPicker:
        name = self.picker_name
        query, chosen = self[f"{name}_query"], self[name]
        if self.picker_skill is not None:
            id_value = str(self.picker_skill.pk)
        elif self.is_bound:
            id_value = ""
        else:
            id_value = str(chosen.value() or "")
        return SkillPicker(
            query_name=query.html_name,
            query_id=query.id_for_label,
            query_value=query.value() or "",
            label=self.picker_label,
            label_class=self.picker_label_class,
            hint=self.picker_hint,
            errors=list(query.errors),
            id_name=chosen.html_name,
            id_input_id=chosen.id_for_label,
            id_value=id_value,
            suggestions=self.picker_suggestions,
            suggestion_errors=list(chosen.errors),
            outcome=self.picker_outcome,
            exclude=self.exclude_skill_id,
        )


def search_picker(q: str) -> SkillPicker:
    """The combobox on the taxonomy home page: options are links to skill pages."""
    return SkillPicker(
        query_name="q",
        query_id="q",
        query_value=q,
        label="Search for a skill",
        label_class="govuk-label--m",
        hint="For example, Python, project management or case management",
        navigate=True,
        input_type="search",
    )


def apply_validation_error(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: field-keyed messages on
    their fields when the form has them, everything else on the form."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            messages = [m for e in errors for m in e.messages]
            form.add_error(key if key in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


class ProposeForm(forms.Form):
    name = forms.CharField(
        label="Name of the skill",
        max_length=255,
        help_text="Use the name people would search for, for example “Welsh translation”",
        error_messages={
            "required": "Enter the name of the skill",
            "max_length": "Skill name must be 255 characters or fewer",
        },
    )
    description = forms.CharField(
        label="Describe the skill (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        help_text="What someone with this skill can do",
        error_messages={"max_length": "Description must be 2,000 characters or fewer"},
    )
    kind = forms.ChoiceField(
        label="What kind of skill is it?",
        choices=SkillKind.choices,
        initial=SkillKind.SKILL,
        error_messages={"required": "Choose what kind of skill it is"},
    )
    # Set once the person has seen the similar skills and still wants to propose.
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ApproveForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=255,
        error_messages={
            "required": "Enter the name of the skill",
            "max_length": "Skill name must be 255 characters or fewer",
        },
    )
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        error_messages={"max_length": "Description must be 2,000 characters or fewer"},
    )


class RejectForm(forms.Form):
    note = forms.CharField(
        label="Reason for rejecting",
        max_length=500,
        widget=forms.Textarea,
        help_text="The person who proposed the skill will see this",
        error_messages={
            "required": "Give a reason, so the person who proposed it knows why",
            "max_length": "Reason must be 500 characters or fewer",
        },
    )


class ProposalMergeForm(SkillPickerForm):
    picker_name = "target"
    picker_label = "Find another skill"
    picker_hint = "Start typing the name of the existing skill, then choose it"
    picker_empty_message = "Enter the name of the skill to record this proposal against"


class SkillMergeForm(SkillPickerForm):
    picker_name = "target"
    picker_label = "Which skill should it be merged into?"
    picker_label_class = "govuk-label--m"
    picker_hint = "Start typing the name of the skill to keep, then choose it"
    picker_empty_message = "Enter the name of the skill to merge into"
    picker_excluded_message = "A skill cannot be merged into itself: choose a different skill"


# --- the qualification-to-skills table --------------------------------------------


def _level_field(label: str) -> LevelField:
    return LevelField(
        label=label,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the level the qualification shows",
            "invalid_choice": "Choose the level the qualification shows",
        },
    )


class QualificationSkillForm(SkillPickerForm):
    """Add a mapping: qualification name, skill (the picker), level."""

    picker_label = "Skill it shows"
    picker_label_class = "govuk-label--m"
    picker_hint = "Start typing, then choose the skill from the list"
    picker_empty_message = "Enter the skill the qualification shows"

    qualification = forms.CharField(
        label="Qualification",
        max_length=255,
        help_text="As people record it on their profile, for example PRINCE2 Practitioner. "
        "Case and punctuation do not matter.",
        error_messages={
            "required": "Enter the name of the qualification",
            "max_length": "The qualification must be 255 characters or fewer",
        },
    )
    level = _level_field("What level of the skill does it show?")

    field_order = ["qualification", "skill_query", "skill", "level"]


class QualificationLevelForm(forms.Form):
    level = _level_field("What level of the skill does it show?")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class QualificationRemoveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
