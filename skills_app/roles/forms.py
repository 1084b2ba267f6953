"""Forms for the role builder and the search page.

Both pages share :class:`FiltersForm`, the hard filters of DESIGN.md section 4
rule 9 in GOV.UK form fields: the builder stores them on the role, the search
page starts from the stored ones and lets a planner override them for one
search. Field names are the same on both pages, and they carry no personal
data, so the search page can be a GET form.

Org units: a department has thousands of units (about 9,000 at 95,000 staff), so
the form offers the top two levels (the department and its directorates) as
checkboxes, the choices a planner makes most often, and takes any deeper unit
by its path ("DWP/Digital Group/Data Science"), one per line. Both work without
JavaScript, and a stored unit deeper than the checkboxes comes back as its
path, so editing a role never drops one.

The builder's requirement rows are :class:`RequirementRowForm` instances (the
accessible skill picker plus level, weight and essential), numbered from 1 in
every message, collected by :class:`RoleBuilder` with the role's own details.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q

from skills_app.core.vocabulary import (
    ClearanceField,
    GradeField,
    GradesField,
    LevelField,
    YesNoField,
)
from skills_app.people.forms import DatePartsMixin, date_initial
from skills_app.people.models import GRADE_ORDER, Clearance, Grade, OrgUnit
from skills_app.people.selectors import known_locations
from skills_app.roles.search import RequirementSpec, SearchFilters
from skills_app.roles.services import MAX_REQUIREMENTS
from taxonomy.forms import SkillPickerForm
from taxonomy.models import LEVEL_CHOICES, Skill

YES_NO = [("yes", "Yes"), ("no", "No")]
MAX_UNIT_PATHS = 50
MAX_LOCATIONS = 50
LOCATION_MAX_LENGTH = 120
TOP_UNIT_DEPTH = 1  # department (0) and directorates (1) as checkboxes
DEFAULT_THRESHOLD_PERCENT = 80
ROW_PREFIX = "req"
TOTAL_FIELD = f"{ROW_PREFIX}-TOTAL"
# A crafted post may claim any number of rows; read no more than this many.
MAX_ROWS_READ = MAX_REQUIREMENTS + 20
DESCRIPTION_MAX = 2000
WEIGHT_MAX = 100


def _unit_choices() -> list[tuple[str, str]]:
    return [
        (str(pk), path.replace("/", " / "))
        for pk, path in OrgUnit.objects.filter(depth__lte=TOP_UNIT_DEPTH).values_list("pk", "path")
    ]


def _split_lines(text: str) -> list[str]:
    lines = []
    for line in (text or "").splitlines():
        clean = "/".join(" ".join(part.split()) for part in line.split("/")).strip("/")
        if clean:
            lines.append(clean)
    return lines


def _number(value) -> str:
    """1.0 -> "1", 0.5 -> "0.5": how people write weights and hours."""
    if value is None or value == "":
        return ""
    return f"{float(value):g}"


class FiltersForm(DatePartsMixin, forms.Form):
    """Hard filters (DESIGN.md section 4 rule 9). ``cleaned_data["filters"]``
    is a ``SearchFilters`` once the form is valid."""

    grades = GradesField(
        label="Grades",
        required=False,
        choices=Grade.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave them all unticked to search every grade",
        error_messages={"invalid_choice": "Choose grades from the list"},
    )
    units = forms.MultipleChoiceField(
        label="Only people in these parts of the organisation",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Teams below each one are included. Leave them all unticked to search everywhere",
        error_messages={"invalid_choice": "Choose parts of the organisation from the list"},
    )
    unit_paths = forms.CharField(
        label="Other parts of the organisation to search in (optional)",
        required=False,
        max_length=20000,
        widget=forms.Textarea,
        help_text="One path per line, for example: DWP/Digital Group/Data Science",
        error_messages={"max_length": "Enter fewer paths"},
    )
    exclude_units = forms.MultipleChoiceField(
        label="Leave out people in these parts of the organisation",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Teams below each one are left out too",
        error_messages={"invalid_choice": "Choose parts of the organisation from the list"},
    )
    exclude_paths = forms.CharField(
        label="Other parts of the organisation to leave out (optional)",
        required=False,
        max_length=20000,
        widget=forms.Textarea,
        help_text="One path per line, for example: DWP/Digital Group/Cyber Security",
        error_messages={"max_length": "Enter fewer paths"},
    )
    locations = forms.MultipleChoiceField(
        label="Locations",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Where people are based. Leave them all unticked to search every location",
        error_messages={"invalid_choice": "Choose locations from the list"},
    )
    other_locations = forms.CharField(
        label="Other locations (optional)",
        required=False,
        max_length=2000,
        help_text="Separate places with commas, for example: Cardiff, Swansea",
        error_messages={"max_length": "Other locations must be 2,000 characters or fewer"},
    )
    clearance = ClearanceField(
        label="Minimum security clearance",
        required=False,
        choices=[("", "No minimum")]
        + [(str(c.value), c.label) for c in Clearance if c != Clearance.NONE],
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "Choose a security clearance from the list"},
    )
    available_day = forms.CharField(required=False, max_length=8)
    available_month = forms.CharField(required=False, max_length=8)
    available_year = forms.CharField(required=False, max_length=8)
    redeployable = YesNoField(
        label="Only people who can be released?",
        choices=YES_NO,
        initial="yes",
        help_text="Yes leaves out people in protected (critical) roles and people who have "
        "not agreed to be redeployed",
        error_messages={
            "required": "Select yes to search only people who can be released",
            "invalid_choice": "Select yes to search only people who can be released",
        },
    )
    hours = forms.DecimalField(
        label="Minimum hours a week (optional)",
        required=False,
        min_value=Decimal("0.5"),
        max_value=Decimal("60"),
        max_digits=4,
        decimal_places=1,
        error_messages={
            "invalid": "Minimum hours a week must be a number, like 37 or 22.5",
            "min_value": "Minimum hours a week must be more than 0",
            "max_value": "Minimum hours a week must be 60 or fewer",
            "max_digits": "Minimum hours a week must be 60 or fewer",
            "max_decimal_places": "Minimum hours a week can have one decimal place, like 22.5",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = _unit_choices()
        self.fields["units"].choices = units
        self.fields["exclude_units"].choices = units
        self.fields["locations"].choices = [(x, x) for x in known_locations(limit=MAX_LOCATIONS)]

    # --- cleaning ---------------------------------------------------------------------

    def _resolve_paths(self, field: str) -> list[int]:
        lines = _split_lines(self.cleaned_data.get(field) or "")
        if len(lines) > MAX_UNIT_PATHS:
            self.add_error(field, f"Enter {MAX_UNIT_PATHS} paths or fewer")
            return []
        if not lines:
            return []
        query = Q()
        for line in lines:
            query |= Q(path__iexact=line)
        found = {
            path.casefold(): pk
            for pk, path in OrgUnit.objects.filter(query).values_list("pk", "path")
        }
        ids = []
        for line in lines:
            pk = found.get(line.casefold())
            if pk is None:
                self.add_error(field, self._unknown_path_message(line))
            else:
                ids.append(pk)
        return ids

    @staticmethod
    def _unknown_path_message(line: str) -> str:
        last = line.rsplit("/", 1)[-1]
        similar = list(OrgUnit.objects.filter(name__iexact=last).values_list("path", flat=True)[:3])
        message = f"No part of the organisation has the path “{line}”"
        if similar:
            message += ". Did you mean " + " or ".join(f"“{p}”" for p in similar) + "?"
        return message

    def _locations(self) -> list[str]:
        chosen = list(self.cleaned_data.get("locations") or [])
        typed = [
            " ".join(p.split()) for p in (self.cleaned_data.get("other_locations") or "").split(",")
        ]
        if any(len(p) > LOCATION_MAX_LENGTH for p in typed):
            self.add_error(
                "other_locations",
                f"Each location must be {LOCATION_MAX_LENGTH} characters or fewer",
            )
        merged, seen = [], set()
        for place in chosen + [p for p in typed if p]:
            if place.casefold() not in seen:
                seen.add(place.casefold())
                merged.append(place)
        if len(merged) > MAX_LOCATIONS:
            self.add_error("other_locations", f"Choose {MAX_LOCATIONS} locations or fewer")
        return merged

    def clean(self):
        cleaned = super().clean()
        include = [int(u) for u in cleaned.get("units") or []] + self._resolve_paths("unit_paths")
        exclude = [int(u) for u in cleaned.get("exclude_units") or []] + self._resolve_paths(
            "exclude_paths"
        )
        both = set(include) & set(exclude)
        if both:
            self.add_error(
                "exclude_units",
                "A part of the organisation cannot be both searched in and left out",
            )
        available = self.clean_date_parts(
            "available", name="the date people must be available by", not_future=False
        )
        hours = cleaned.get("hours")
        cleaned["filters"] = SearchFilters(
            grades=tuple(cleaned.get("grades") or ()),
            org_units=tuple(dict.fromkeys(include)),
            exclude_org_units=tuple(dict.fromkeys(exclude)),
            locations=tuple(self._locations()),
            min_clearance=cleaned.get("clearance"),
            available_on=available,
            redeployable_only=cleaned.get("redeployable", "yes") != "no",
            min_weekly_hours=float(hours) if hours is not None else None,
        )
        return cleaned

    # --- initial values ---------------------------------------------------------------

    @staticmethod
    def initial_for(filters: SearchFilters) -> dict:
        """Form values (strings, as a browser would send them) for stored filters."""
        top = set(OrgUnit.objects.filter(depth__lte=TOP_UNIT_DEPTH).values_list("pk", flat=True))
        wanted = set(filters.org_units) | set(filters.exclude_org_units)
        paths = dict(OrgUnit.objects.filter(pk__in=wanted).values_list("pk", "path"))
        known = {x.casefold(): x for x in known_locations(limit=MAX_LOCATIONS)}

        def units(ids):
            return [str(u) for u in ids if u in top and u in paths]

        def deeper(ids):
            return "\n".join(paths[u] for u in ids if u not in top and u in paths)

        initial = {
            "grades": list(filters.grades),
            "units": units(filters.org_units),
            "unit_paths": deeper(filters.org_units),
            "exclude_units": units(filters.exclude_org_units),
            "exclude_paths": deeper(filters.exclude_org_units),
            "locations": [known[x.casefold()] for x in filters.locations if x.casefold() in known],
            "other_locations": ", ".join(x for x in filters.locations if x.casefold() not in known),
            "clearance": str(filters.min_clearance) if filters.min_clearance else "",
            "redeployable": "yes" if filters.redeployable_only else "no",
            "hours": _number(filters.min_weekly_hours),
        }
        initial.update(date_initial("available", filters.available_on))
        return initial

    @classmethod
    def initial_from_data(cls, data) -> dict:
        """What a browser sent, as initial values: for re-showing a form
        without checking it (the builder's "add"/"remove" buttons)."""
        initial = {}
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.MultipleChoiceField):
                initial[name] = data.getlist(name)
            elif name in data:
                initial[name] = data.get(name)
        return initial

    def filters_in_use(self) -> int:
        """How many filters narrow the search (for the "Filters (N in use)" label)."""
        filters = self.cleaned_data.get("filters") if hasattr(self, "cleaned_data") else None
        if filters is None:
            return 0
        used = [
            filters.grades,
            filters.org_units,
            filters.exclude_org_units,
            filters.locations,
            filters.min_clearance,
            filters.available_on,
            filters.min_weekly_hours,
        ]
        return sum(1 for value in used if value) + (0 if filters.redeployable_only else 1)


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

    field_order = ["threshold", "prior"]

    @classmethod
    def defaults_for(cls, filters: SearchFilters) -> dict:
        initial = cls.initial_for(filters)
        initial.update(threshold=str(DEFAULT_THRESHOLD_PERCENT), prior="yes")
        return initial

    @property
    def threshold_fraction(self) -> float:
        return float(self.cleaned_data["threshold"]) / 100


# --- the role builder ----------------------------------------------------------------


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
                "weight": _number(s.weight),
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


FILTER_FIELDS = tuple(FiltersForm.base_fields)


def error_items(form: forms.Form, *, first_field: str = "") -> list[dict]:
    """A form's errors as {text, href} for roles/_error_summary.html, in field
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
