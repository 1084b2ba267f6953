"""The role builder's forms.

The requirement rows are :class:`RequirementRowForm` instances (the accessible
skill picker plus level, weight and essential), numbered from 1 in every
message, collected by :class:`RoleBuilder` with the role's own details
(:class:`RoleDetailsForm`, which carries the shared search filters).
"""

from __future__ import annotations

from django import forms

from skills_app.core.vocabulary import GradeField, LevelField
from skills_app.people.models import GRADE_ORDER, Grade
from skills_app.roles.forms import FiltersForm, plain_number
from skills_app.roles.search import RequirementSpec
from skills_app.roles.services import MAX_REQUIREMENTS
from taxonomy.forms import SkillPickerForm
from taxonomy.models import LEVEL_CHOICES, Skill

ROW_PREFIX = "req"
TOTAL_FIELD = f"{ROW_PREFIX}-TOTAL"
# A crafted post may claim any number of rows; read no more than this many.
MAX_ROWS_READ = MAX_REQUIREMENTS + 20
DESCRIPTION_MAX = 2000
WEIGHT_MAX = 100


class RequirementRowForm(SkillPickerForm):
    """One requirement: a skill (the accessible picker), its level, weight and
    whether it is essential. ``number`` (from 1) goes into every message, so the
    error summary says which row is wrong."""

    picker_name = "skill"
    picker_label = "Skill"
    picker_hint = ""

    level = LevelField(label="Level", choices=LEVEL_CHOICES, coerce=int)
    weight = forms.CharField(label="Weight", max_length=12)
    essential = forms.BooleanField(label="Essential", required=False)

    def __init__(self, *args, number: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number
        n = number
        self.picker_empty_message = f"Enter the skill for requirement {n}"
        self.picker_suggest_message = f"Choose the skill you meant for requirement {n}"
        self.picker_none_message = (
            f"We could not find the skill for requirement {n}: check the spelling, choose "
            "from the list or propose it"
        )
        self.fields["level"].error_messages = {
            "required": f"Choose the level for requirement {n}",
            "invalid_choice": f"The level for requirement {n} must be 1 to 4",
        }
        self.fields["weight"].error_messages = {
            "required": f"Enter the weight for requirement {n}, for example 1",
            "max_length": f"The weight for requirement {n} must be a number, like 1 or 0.5",
        }

    def _resolve_picker(self, cleaned: dict) -> None:
        """A chosen skill id counts only while the text still names that skill:
        someone without JavaScript may retype the name of a prefilled row. When
        the page offered "which did you mean" radios, the radio is the choice."""
        raw = (cleaned.get("skill") or "").strip()
        query = " ".join((cleaned.get("skill_query") or "").split())
        if raw.isdigit() and query and not self.data.get(self.add_prefix("skill_suggested")):
            name = Skill.objects.filter(pk=int(raw)).values_list("name", flat=True).first()
            if name is None or name.casefold() != query.casefold():
                cleaned["skill"] = ""
        super()._resolve_picker(cleaned)

    def clean_weight(self):
        raw = (self.cleaned_data.get("weight") or "").strip()
        n = self.number
        try:
            value = float(raw)
        except ValueError:
            raise forms.ValidationError(
                f"The weight for requirement {n} must be a number, like 1 or 0.5"
            ) from None
        if not value > 0:  # also refuses NaN
            raise forms.ValidationError(f"The weight for requirement {n} must be more than 0")
        if value > WEIGHT_MAX:
            raise forms.ValidationError(
                f"The weight for requirement {n} must be {WEIGHT_MAX} or less"
            )
        return value

    @property
    def index(self) -> int:
        return self.number - 1

    def spec(self) -> RequirementSpec:
        cd = self.cleaned_data
        return RequirementSpec(cd["skill"].pk, cd["level"], cd["weight"], bool(cd["essential"]))


class RoleDetailsForm(FiltersForm):
    """The role itself (title, description, grade range) and its search filters."""

    title = forms.CharField(
        label="Title",
        max_length=255,
        help_text="For example, Universal Credit surge case manager",
        error_messages={
            "required": "Enter a title for the role",
            "max_length": "Title must be 255 characters or fewer",
        },
    )
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea,
        help_text="What people in this role do",
        error_messages={
            "max_length": f"Description must be {DESCRIPTION_MAX:,} characters or fewer"
        },
    )
    grade_min = GradeField(
        label="Lowest grade",
        required=False,
        choices=[("", "Not set")] + list(Grade.choices),
        error_messages={"invalid_choice": "Choose the lowest grade from the list"},
    )
    grade_max = GradeField(
        label="Highest grade",
        required=False,
        choices=[("", "Not set")] + list(Grade.choices),
        error_messages={"invalid_choice": "Choose the highest grade from the list"},
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    field_order = ["title", "description"]

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("grade_min"), cleaned.get("grade_max")
        if low and high and GRADE_ORDER[high] < GRADE_ORDER[low]:
            self.add_error("grade_max", "The highest grade must be the same as or above the lowest")
        return cleaned


class RoleBuilder:
    """The builder page: the role's details plus numbered requirement rows.

    ``RoleBuilder.for_post(data)`` checks a submitted page; ``RoleBuilder.shown(...)``
    shows values without checking them (a starting point, a saved role, or the
    page again after "Add another skill" / "Remove").
    """

    def __init__(self, details: RoleDetailsForm, rows: list[RequirementRowForm]):
        self.details = details
        self.rows = rows
        self.errors: list[dict] = []  # errors about the rows as a whole: {text, href}

    # --- construction -----------------------------------------------------------------

    @staticmethod
    def _row(index: int, *, data=None, initial=None) -> RequirementRowForm:
        return RequirementRowForm(
            data, prefix=f"{ROW_PREFIX}-{index}", number=index + 1, initial=initial
        )

    @classmethod
    def shown(cls, *, details_initial: dict, rows: list[dict]) -> RoleBuilder:
        return cls(
            RoleDetailsForm(initial=details_initial),
            [cls._row(i, initial=row) for i, row in enumerate(rows)],
        )

    @classmethod
    def for_post(cls, data) -> RoleBuilder:
        total = row_total(data)
        builder = cls(RoleDetailsForm(data), [cls._row(i, data=data) for i in range(total)])
        return builder

    @staticmethod
    def rows_from_specs(specs) -> list[dict]:
        names = dict(
            Skill.objects.filter(pk__in=[s.skill_id for s in specs]).values_list("pk", "name")
        )
        return [
            {
                "skill": str(s.skill_id),
                "skill_query": names.get(s.skill_id, ""),
                "level": str(s.level),
                "weight": plain_number(s.weight),
                "essential": bool(s.essential),
            }
            for s in specs
        ]

    # --- checking ---------------------------------------------------------------------

    def is_valid(self) -> bool:
        valid = self.details.is_valid()
        valid = all([row.is_valid() for row in self.rows]) and valid
        if not self.rows:
            self.errors.append(
                {"text": "Add at least one skill the role needs", "href": "#add-requirement"}
            )
        elif len(self.rows) > MAX_REQUIREMENTS:
            extra = len(self.rows) - MAX_REQUIREMENTS
            self.errors.append(
                {
                    "text": f"A role can need at most {MAX_REQUIREMENTS} skills: remove {extra}",
                    "href": "#requirements",
                }
            )
        seen: dict[int, int] = {}
        for row in self.rows:
            skill = row.cleaned_data.get("skill") if hasattr(row, "cleaned_data") else None
            if skill is None:
                continue
            if skill.pk in seen:
                row.add_error(
                    "skill_query",
                    f"Requirement {row.number} repeats {skill.name} (requirement "
                    f"{seen[skill.pk]}): each skill can be required once only",
                )
            else:
                seen[skill.pk] = row.number
        return valid and not self.errors and all(not row.errors for row in self.rows)

    def requirements(self) -> list[RequirementSpec]:
        return [row.spec() for row in self.rows]

    def add_error(self, text: str, href: str = "#id_title") -> None:
        self.errors.append({"text": text, "href": href})

    def summary(self) -> list[dict]:
        """Every error on the page in page order, each linking to its field
        (the GOV.UK error summary): title and description, the rows, then the
        grade range and filters."""
        details = self.details
        first, rest = [], []
        if details.is_bound:
            for error in details.non_field_errors():
                first.append({"text": error, "href": "#id_title"})
            for name in details.fields:
                target = first if name in ("title", "description") else rest
                for error in details.errors.get(name, []):
                    target.append({"text": error, "href": f"#{details[name].auto_id}"})
        rows = []
        for row in self.rows:
            if not row.is_bound:
                continue
            for error in row.non_field_errors():
                rows.append({"text": error, "href": f"#{row['skill_query'].auto_id}"})
            for name in ("skill_query", "skill", "level", "weight", "essential"):
                for error in row.errors.get(name, []):
                    rows.append({"text": error, "href": f"#{row[name].auto_id}"})
        return first + self.errors + rows + rest


def row_total(data) -> int:
    raw = (data.get(TOTAL_FIELD) or "").strip()
    total = int(raw) if raw.isdigit() else 0
    return min(total, MAX_ROWS_READ)


def rows_from_data(data) -> list[dict]:
    """The rows as typed, for showing the page again unchecked."""
    rows = []
    for i in range(row_total(data)):
        p = f"{ROW_PREFIX}-{i}-"
        rows.append(
            {
                "skill_query": data.get(p + "skill_query", ""),
                "skill": data.get(p + "skill", ""),
                "level": data.get(p + "level", ""),
                "weight": data.get(p + "weight", ""),
                "essential": bool(data.get(p + "essential")),
            }
        )
    return rows


def blank_row() -> dict:
    return {"skill_query": "", "skill": "", "level": "", "weight": "1", "essential": False}
