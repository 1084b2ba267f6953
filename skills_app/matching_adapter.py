"""ORM -> plain arrays for ``matching.engine``, and back.

The workforce is read in bulk (one streamed query per table, never a query per
person) into the column-major structures the engine searches. Rows are indexed
by position; the ``WorkforceIndex`` keeps the maps between database ids and
positions so results can be turned back into people and skills.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db import connection

from matching.engine import (
    EVIDENCE_CODES,
    NOT_AVAILABLE,
    People,
    Relation,
    RoleLibrary,
    RoleSpell,
    SkillColumns,
    Workforce,
)
from skills_app.people.models import GRADE_ORDER
from taxonomy.models import DEFAULT_RELATION_STRENGTH

FETCH = 50_000


@dataclass
class WorkforceIndex:
    workforce: Workforce
    person_ids: np.ndarray  # position -> Person.pk
    skill_ids: np.ndarray  # column -> Skill.pk
    skill_column: dict[int, int]  # Skill.pk -> column
    role_index: dict[int, int]  # RoleProfile.pk -> role vector index
    org_unit_ids: np.ndarray  # unit index -> OrgUnit.pk
    org_unit_paths: list[str]
    locations: list[str]  # location code -> name

    def position_of(self, person_id: int) -> int | None:
        at = int(np.searchsorted(self.person_ids, person_id))
        if at < len(self.person_ids) and self.person_ids[at] == person_id:
            return at
        return None


def _rows(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(FETCH):
            yield from batch


def _ordinal(value) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):  # SQLite returns dates as text through a raw cursor
        value = dt.date.fromisoformat(value[:10])
    return value.toordinal()


def build_workforce_index() -> WorkforceIndex:
    skill_ids = np.array(
        [pk for (pk,) in _rows("SELECT id FROM taxonomy_skill ORDER BY id")], dtype=np.int64
    )
    skill_column = {int(pk): col for col, pk in enumerate(skill_ids)}

    unit_rows = list(_rows("SELECT id, path FROM people_orgunit ORDER BY id"))
    org_unit_ids = np.array([r[0] for r in unit_rows], dtype=np.int64)
    unit_index = {pk: i for i, (pk, _) in enumerate(unit_rows)}

    allocated_ids = {
        pk
        for (pk,) in _rows(
            "SELECT DISTINCT a.person_id FROM surge_allocation a "
            "JOIN surge_surgescenario s ON s.id = a.scenario_id "
            "WHERE s.status = 'approved' AND a.status IN ('proposed', 'approved')"
        )
    }

    people_rows = list(
        _rows(
            "SELECT id, staff_number, grade, org_unit_id, location, clearance, weekly_hours, "
            "redeployable, protected, available_from, profile_reviewed_at "
            "FROM people_person ORDER BY id"
        )
    )
    n = len(people_rows)
    person_ids = np.fromiter((r[0] for r in people_rows), dtype=np.int64, count=n)
    locations: list[str] = []
    location_code: dict[str, int] = {}
    location = np.empty(n, dtype=np.int32)
    for i, row in enumerate(people_rows):
        location[i] = location_code.setdefault(row[4], len(location_code))
    locations = list(location_code)
    people = People(
        staff_number=np.array([r[1] for r in people_rows], dtype=object),
        grade=np.array([GRADE_ORDER.get(r[2], -1) for r in people_rows], dtype=np.int8),
        org_unit=np.array([unit_index[r[3]] for r in people_rows], dtype=np.int32),
        location=location,
        clearance=np.array([r[5] for r in people_rows], dtype=np.int8),
        weekly_hours=np.array([float(r[6]) for r in people_rows], dtype=np.float32),
        redeployable=np.array([bool(r[7]) for r in people_rows], dtype=bool),
        protected=np.array([bool(r[8]) for r in people_rows], dtype=bool),
        available_from=np.array(
            [_ordinal(r[9]) if r[9] else NOT_AVAILABLE for r in people_rows], dtype=np.int32
        ),
        allocated=np.isin(person_ids, np.fromiter(allocated_ids, np.int64, len(allocated_ids))),
        reviewed_at=np.array([_ordinal(r[10]) for r in people_rows], dtype=np.int32),
    )
    del people_rows

    position = {int(pk): i for i, pk in enumerate(person_ids)}
    person_col, skill_col, levels, last_used, evidence = [], [], [], [], []
    for person_id, skill_id, level, used, ev in _rows(
        "SELECT person_id, skill_id, level, last_used, evidence FROM people_personskill"
    ):
        person_col.append(position[person_id])
        skill_col.append(skill_column[skill_id])
        levels.append(level)
        last_used.append(_ordinal(used))
        evidence.append(EVIDENCE_CODES.get(ev, 0))
    skills = SkillColumns.from_triples(
        n_people=n,
        n_skills=len(skill_ids),
        person=person_col,
        skill=skill_col,
        level=levels,
        last_used=last_used,
        evidence=evidence,
    )
    del person_col, skill_col, levels, last_used, evidence

    relations: dict[int, list[Relation]] = {}
    for from_id, to_id, kind, strength in _rows(
        "SELECT from_skill_id, to_skill_id, kind, strength FROM taxonomy_skillrelation"
    ):
        value = strength if strength is not None else DEFAULT_RELATION_STRENGTH[kind]
        relations.setdefault(skill_column[from_id], []).append(
            Relation(skill_column[to_id], float(value))
        )

    role_index: dict[int, int] = {}
    vectors: dict[int, dict[int, float]] = {}
    for role_id, skill_id, level, weight in _rows(
        "SELECT role_id, skill_id, level, weight FROM roles_rolerequirement"
    ):
        index = role_index.setdefault(role_id, len(role_index))
        vector = vectors.setdefault(index, {})
        column = skill_column[skill_id]
        vector[column] = vector.get(column, 0.0) + level * weight
    spells = [
        RoleSpell(
            person=position[person_id],
            role=role_index.get(role_id) if role_id is not None else None,
            title=title,
            end=_ordinal(end),
        )
        for person_id, role_id, title, end in _rows(
            'SELECT person_id, role_profile_id, title, "end" FROM people_rolehistory'
        )
    ]

    return WorkforceIndex(
        workforce=Workforce(
            skills=skills,
            people=people,
            relations=relations,
            roles=RoleLibrary(vectors=vectors, spells=spells),
        ),
        person_ids=person_ids,
        skill_ids=skill_ids,
        skill_column=skill_column,
        role_index=role_index,
        org_unit_ids=org_unit_ids,
        org_unit_paths=[path for _, path in unit_rows],
        locations=locations,
    )
