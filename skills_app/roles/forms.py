"""The hard filters shared by the role builder and the search page.

Both pages use :class:`FiltersForm`, the hard filters of DESIGN.md section 4
rule 9 in GOV.UK form fields: the builder stores them on the role, the search
page starts from the stored ones and lets a planner override them for one
search. Field names are the same on both pages, and they carry no personal
data, so the search page can be a GET form.

Org units: a department has thousands of units (about 9,000 at 95,000 staff), so
the form offers the top two levels (the department and its directorates) as
checkboxes, the choices a planner makes most often, and takes any deeper unit
by its path ("Department/Directorate/Team", the hints showing two of the
department's own), one per line. Both work without
JavaScript, and a stored unit deeper than the checkboxes comes back as its
path, so editing a role never drops one.

The search page's own form is in ``forms_search``, the builder's in
``forms_builder``.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q

from skills_app.core.vocabulary import ClearanceField, GradesField, YesNoField
from skills_app.people.forms import DatePartsMixin, date_initial
from skills_app.people.models import Clearance, Grade, OrgUnit
from skills_app.people.selectors import known_locations
from skills_app.roles.search import SearchFilters

YES_NO = [("yes", "Yes"), ("no", "No")]
MAX_UNIT_PATHS = 50
MAX_LOCATIONS = 50
LOCATION_MAX_LENGTH = 120
TOP_UNIT_DEPTH = 1  # department (0) and directorates (1) as checkboxes


# More top-level units than this and they are not offered as checkboxes (thousands of
# boxes, twice, made the search page slow and unusable): the path boxes take them.
MAX_UNIT_CHECKBOXES = 40


def _checkbox_units() -> list[tuple[int, str]]:
    """The top of the organisation as (pk, path) to offer as checkboxes, or [] when
    there are too many to offer."""
    units = OrgUnit.objects.filter(depth__lte=TOP_UNIT_DEPTH)
    found = list(units.values_list("pk", "path")[: MAX_UNIT_CHECKBOXES + 1])
    return [] if len(found) > MAX_UNIT_CHECKBOXES else found


def _unit_choices(units: list[tuple[int, str]]) -> list[tuple[str, str]]:
    return [(str(pk), path.replace("/", " / ")) for pk, path in units]


def _example_paths() -> list[str]:
    """Two real team paths (the level below the checkboxes) for the hints, so the
    example names this department's units; a generic shape before any are loaded."""
    paths = list(
        OrgUnit.objects.filter(depth=TOP_UNIT_DEPTH + 1)
        .order_by("path")
        .values_list("path", flat=True)[:2]
    )
    return paths + ["Department/Directorate/Team"] * (2 - len(paths))


def _split_lines(text: str) -> list[str]:
    lines = []
    for line in (text or "").splitlines():
        clean = "/".join(" ".join(part.split()) for part in line.split("/")).strip("/")
        if clean:
            lines.append(clean)
    return lines


def plain_number(value) -> str:
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
        help_text="One path per line",  # with an example from the data: __init__
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
        help_text="One path per line",  # with an example from the data: __init__
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
    reserve_only = forms.BooleanField(
        label="Ready reserve only",
        required=False,
        help_text="Only people in the ready reserve, on call on the date above (or today), "
        "whose line manager agreed in advance",
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
        units = _unit_choices(_checkbox_units())
        self.units_as_checkboxes = bool(units)
        if not units:
            self.fields["unit_paths"].label = "Only people in these parts of the organisation"
            self.fields[
                "exclude_paths"
            ].label = "Leave out people in these parts of the organisation"
        self.fields["units"].choices = units
        self.fields["exclude_units"].choices = units
        locations = known_locations(limit=MAX_LOCATIONS)
        self.fields["locations"].choices = [(x, x) for x in locations]
        include, leave_out = _example_paths()
        self.fields["unit_paths"].help_text = f"One path per line, for example: {include}"
        self.fields["exclude_paths"].help_text = f"One path per line, for example: {leave_out}"
        if len(locations) >= 2:
            self.fields[
                "other_locations"
            ].help_text = (
                f"Separate places with commas, for example: {locations[0]}, {locations[1]}"
            )

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
            reserve_only=bool(cleaned.get("reserve_only")),
        )
        return cleaned

    # --- initial values ---------------------------------------------------------------

    @staticmethod
    def initial_for(filters: SearchFilters) -> dict:
        """Form values (strings, as a browser would send them) for stored filters."""
        top = {pk for pk, _ in _checkbox_units()}
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
            "hours": plain_number(filters.min_weekly_hours),
            "reserve_only": filters.reserve_only,
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
            filters.reserve_only,
        ]
        return sum(1 for value in used if value) + (0 if filters.redeployable_only else 1)
