"""The import kinds and their columns: the four HR kinds (DESIGN.md section 7) and the
stewards' qualification-to-skills table (DESIGN.md section 9). Each kind names the
capability that may import it (``cap``): HR imports HR data, taxonomy stewards import
the qualification table, administrators both.

Each kind lists its columns in the order of the downloadable template. A *required*
column must be in the header row; an optional column may be left out of the file
altogether, which means "keep what Muster already holds" (new records get the
default), and so may a blank optional cell: a blank never changes a stored value. The
words ``current`` (``last_used``, ``end_date``) and ``none``
(``line_manager_staff_number``) clear a stored value on purpose. Headers are matched
case-insensitively, with spaces or hyphens read as underscores ("Staff number" is
``staff_number``), in any order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skills_app.accounts.permissions import Cap


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: str
    summary: str
    columns: tuple[Column, ...]
    cap: Cap = Cap.IMPORT_HR

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


PEOPLE = KindSpec(
    "people",
    "People",
    "One row per member of staff. Matched on staff number: new staff numbers are added, "
    "existing ones updated.",
    (
        Column("staff_number", True, "Unique staff number"),
        Column("full_name", True, "Full name"),
        Column("email", True, "Work email address, unique to the person"),
        Column(
            "grade",
            True,
            "AA, AO, EO, HEO, SEO, G7, G6, SCS1, SCS2 or SCS3, or the grade's name "
            "(Grade 7, Higher Executive Officer); any case",
        ),
        Column(
            "org_unit",
            True,
            "Organisation path from the department down, separated by /, for example "
            "Department for Public Services/Digital Group/Software Engineering. "
            "Missing units are created",
        ),
        Column(
            "location", False, "Office location, for example Leeds; blank keeps the current one"
        ),
        Column("weekly_hours", False, "Contracted hours a week, more than 0 and at most 60"),
        Column("clearance", False, "None, BPSS, CTC, SC or DV, or 0 to 4; any case"),
        Column(
            "redeployable", False, "yes or no (or y/n, true/false, 1/0): willing to be redeployed"
        ),
        Column("protected", False, "yes or no: in a critical role that must not be released"),
        Column("available_from", False, "Date, YYYY-MM-DD or DD/MM/YYYY"),
        Column(
            "line_manager_staff_number",
            False,
            "Staff number of the line manager, in this file or already in Muster; none for "
            "no line manager; blank keeps the current one",
        ),
        Column(
            "left_on",
            False,
            "The day they left (or will leave) the department, YYYY-MM-DD or DD/MM/YYYY: from "
            "then they are never matched or allocated, and two years later their record is "
            "anonymised; none clears it; blank keeps the current one",
        ),
    ),
)

PERSON_SKILLS = KindSpec(
    "person-skills",
    "Person skills",
    "One row per person and skill. Matched on staff number and skill: new skills are added "
    "to profiles, existing ones updated; skills not in the file are left alone.",
    (
        Column("staff_number", True, "Staff number of someone already in Muster"),
        Column(
            "skill",
            True,
            "Skill name, another name for it, its URI, or a close misspelling of its name",
        ),
        Column("level", True, "1 to 4, or Awareness, Working, Practitioner or Expert"),
        Column(
            "last_used",
            False,
            "YYYY, YYYY-MM or YYYY-MM-DD (the first day of a year or month is stored), or "
            "current if in use now; blank means current for a new skill and keeps the "
            "recorded date for an existing one",
        ),
        Column(
            "evidence",
            False,
            "self, manager_verified, assessed or certified; blank means self for a new "
            "skill and keeps the recorded evidence for an existing one",
        ),
    ),
)

ROLE_HISTORY = KindSpec(
    "role-history",
    "Role history",
    "One row per role a person held. Matched on staff number, role title and start date.",
    (
        Column("staff_number", True, "Staff number of someone already in Muster"),
        Column("role_title", True, "Title of the role as held"),
        Column(
            "role_profile_code",
            False,
            "Code of a role profile in the role library; blank to keep any existing link "
            "(a new role is linked when exactly one profile has the same title)",
        ),
        Column(
            "start_date",
            True,
            "Date, YYYY-MM-DD or DD/MM/YYYY; YYYY-MM or YYYY stores the first day of the "
            "month or year",
        ),
        Column(
            "end_date",
            False,
            "Date, YYYY-MM-DD or DD/MM/YYYY (YYYY-MM or YYYY: the first day), or current "
            "if the role is held now; blank "
            "means current for a new role and keeps the recorded end date for an existing one",
        ),
    ),
)

ROLE_PROFILES = KindSpec(
    "role-profiles",
    "Role profiles",
    "One row per skill a role needs, grouped by role code. A role in the file gets exactly "
    "the file's requirements; roles not in the file are left alone.",
    (
        Column(
            "role_code",
            True,
            "Short code of letters, numbers, hyphens and underscores, for example work-coach",
        ),
        Column("title", True, "Title of the role, the same on every row of the role"),
        Column("skill", True, "Skill name, another name for it, its URI, or a close misspelling"),
        Column("level", True, "1 to 4, or Awareness, Working, Practitioner or Expert"),
        Column("weight", False, "How much the skill counts, more than 0; blank means 1"),
        Column("essential", False, "yes or no; blank means no"),
    ),
)

QUALIFICATION_SKILLS = KindSpec(
    "qualification-skills",
    "Qualifications and the skills they show",
    "One row per qualification and skill: a person who holds the qualification is "
    "offered the skill at the level, as a draft to check. Matched on qualification "
    "(ignoring case and punctuation) and skill: new pairs are added, existing ones get "
    "the file's level; pairs not in the file are left alone.",
    (
        Column(
            "qualification", True, "Name of the qualification, for example PRINCE2 Practitioner"
        ),
        Column(
            "skill",
            True,
            "Skill name, another name for it, its URI, or a close misspelling of its name; "
            "it must not be deprecated",
        ),
        Column("level", True, "1 to 4, or Awareness, Working, Practitioner or Expert"),
    ),
    cap=Cap.IMPORT_TAXONOMY,
)

KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (PEOPLE, PERSON_SKILLS, ROLE_HISTORY, ROLE_PROFILES, QUALIFICATION_SKILLS)
}
IMPORT_CAPS = tuple(dict.fromkeys(spec.cap for spec in KINDS.values()))


def kinds_for(user) -> dict[str, KindSpec]:
    """The kinds ``user`` may import."""
    from skills_app.accounts.permissions import has_cap

    return {kind: spec for kind, spec in KINDS.items() if has_cap(user, spec.cap)}


_HEADER_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_header(text) -> str:
    return _HEADER_SEPARATORS.sub("_", str(text or "").strip().lower()).strip("_")


def template_csv(kind: str) -> str:
    """The header row of a kind's template, as CSV text."""
    return ",".join(KINDS[kind].names) + "\r\n"
