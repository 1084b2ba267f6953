"""ORM -> plain arrays for ``matching.engine``, and back; kept fresh per process.

The workforce is read in bulk (one streamed query per table, never a query per
person) into the column-major structures the engine searches. Rows are indexed
by position; the ``WorkforceIndex`` keeps the maps between database ids and
positions so results can be turned back into people and skills.

Freshness: every write that changes search results appends to the
``WorkforceChange`` sequence in its own transaction (``skills_app.index.changes``). Each
search starts with ``current_index()``, which reads the rows it has not seen (an
index range scan on the primary key) and applies them: changed people get their
attributes updated in place and their skills re-read into the engine's patch;
new people are appended; role, taxonomy and allocation changes reload those
small tables. A bulk change (an import, a merge) or a patch grown past
``PATCH_LIMIT`` people rebuilds the index. So a change is visible to the next
search in every process, the one that made it included.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from matching.engine import (
    DRAFT,
    EVIDENCE_CODES,
    NOT_AVAILABLE,
    People,
    Relation,
    RoleLibrary,
    RoleSpell,
    SkillColumns,
    SpellTable,
    Workforce,
)
from matching.rules import DEFAULT_RELATION_STRENGTH
from skills_app.index import snapshot
from skills_app.people.models import GRADE_ORDER, ChangeScope

logger = logging.getLogger(__name__)

FETCH = 50_000
PATCH_LIMIT = 20_000  # people in the patch before a rebuild is cheaper than scoring them twice
GAP_PATIENCE_SECONDS = 60.0  # a missing change id older than this belonged to a rollback
# How far below the newest change id a build looks for ids its snapshot cannot
# see yet (transactions still open when it started).
BUILD_OVERLAP = 200

_PERSON_COLUMNS = (
    "id, staff_number, grade, org_unit_id, location, clearance, weekly_hours, "
    "redeployable, protected, available_from, profile_reviewed_at, left_on"
)
_LEFT_ON = 11  # position of left_on in a person row
_ALLOCATED = (
    "SELECT DISTINCT a.person_id FROM surge_allocation a "
    "JOIN surge_surgescenario s ON s.id = a.scenario_id "
    "WHERE s.status = 'approved' AND a.status IN ('proposed', 'approved')"
)


@dataclass
class WorkforceIndex:
    workforce: Workforce
    person_ids: np.ndarray  # position -> Person.pk (ascending)
    skill_ids: np.ndarray  # column -> Skill.pk (ascending)
    skill_column: dict[int, int]  # Skill.pk -> column
    role_index: dict[int, int]  # RoleProfile.pk -> role vector index
    org_unit_ids: np.ndarray  # unit index -> OrgUnit.pk
    org_unit_paths: list[str]
    locations: list[str]  # location code -> name
    unit_index: dict[int, int] = field(default_factory=dict)  # OrgUnit.pk -> unit index
    location_code: dict[str, int] = field(default_factory=dict)
    built_in_seconds: float = 0.0
    # The next day someone in the index leaves (an ordinal, 0 for nobody): from
    # that day the index is rebuilt without them.
    next_leaving: int = 0

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


def _in_list(ids) -> tuple[str, list]:
    ids = list(ids)
    return ", ".join(["%s"] * len(ids)), ids


def _ordinal(value) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):  # SQLite returns dates as text through a raw cursor
        value = dt.date.fromisoformat(value[:10])
    return value.toordinal()


# Time zones change their offset only on quarter hours, so every timestamp in one
# UTC quarter hour has the same local day: one conversion per quarter hour, not per row.
_QUARTER_HOUR = 900


def _local_days(values) -> np.ndarray:
    """Timestamps' local days as ordinals (0 for none): rule 10 counts a review by
    the day it was made where the department is."""
    zone = timezone.get_current_timezone()
    days: dict[int, int] = {}
    out = np.zeros(len(values), dtype=np.int32)
    for i, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, str):  # SQLite returns timestamps as UTC text through a raw cursor
            value = parse_datetime(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        key = int(value.timestamp()) // _QUARTER_HOUR
        day = days.get(key)
        if day is None:
            day = days[key] = value.astimezone(zone).date().toordinal()
        out[i] = day
    return out


def _today() -> int:
    return timezone.localdate().toordinal()


def _split_leavers(rows, today: int) -> tuple[list, list, int]:
    """Leavers (``left_on`` on or before ``today``) are never offered as matches or
    allocated: this is the one place they are kept out of the index. Returns the
    staying rows, the leavers' rows, and the next leaving day among those staying."""
    staying, leaving, upcoming = [], [], []
    for row in rows:
        left_on = row[_LEFT_ON]
        if left_on is None:
            staying.append(row)
        elif (day := _ordinal(left_on)) <= today:
            leaving.append(row)
        else:
            staying.append(row)
            upcoming.append(day)
    return staying, leaving, min(upcoming, default=0)


def _allocated_ids() -> np.ndarray:
    ids = [pk for (pk,) in _rows(_ALLOCATED)]
    return np.array(sorted(ids), dtype=np.int64)


_RESERVE = (
    "SELECT person_id, available_from, available_until FROM moves_reservemembership "
    "WHERE agreed_at IS NOT NULL AND withdrawn_at IS NULL"
)


def _reserve_days() -> dict[int, tuple[int, int]]:
    """Ready-reserve members agreed by their manager: person id -> (from, until) ordinals."""
    return {pk: (_ordinal(start), _ordinal(until)) for pk, start, until in _rows(_RESERVE)}


def _load_units() -> tuple[np.ndarray, list[str], dict[int, int]]:
    rows = list(_rows("SELECT id, path FROM people_orgunit ORDER BY id"))
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, [path for _, path in rows], {pk: i for i, (pk, _) in enumerate(rows)}


def _people_arrays(rows, unit_index, location_code, allocated: np.ndarray) -> dict:
    """Attribute arrays for people ``rows`` (new locations join ``location_code``)."""
    n = len(rows)
    reserve = _reserve_days()
    on_call = [reserve.get(r[0], (0, 0)) for r in rows]
    person_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    location = np.fromiter(
        (location_code.setdefault(r[4], len(location_code)) for r in rows), np.int32, n
    )
    return {
        "staff_number": np.array([r[1] for r in rows], dtype=object),
        "grade": np.array([GRADE_ORDER.get(r[2], -1) for r in rows], dtype=np.int8),
        "org_unit": np.array([unit_index[r[3]] for r in rows], dtype=np.int32),
        "location": location,
        "clearance": np.array([r[5] for r in rows], dtype=np.int8),
        "weekly_hours": np.array([float(r[6]) for r in rows], dtype=np.float32),
        "redeployable": np.array([bool(r[7]) for r in rows], dtype=bool),
        "protected": np.array([bool(r[8]) for r in rows], dtype=bool),
        "available_from": np.array(
            [_ordinal(r[9]) if r[9] else NOT_AVAILABLE for r in rows], dtype=np.int32
        ),
        "allocated": np.isin(person_ids, allocated),
        "reviewed_at": _local_days([r[10] for r in rows]),
        "reserve_from": np.fromiter((days[0] for days in on_call), np.int32, n),
        "reserve_until": np.fromiter((days[1] for days in on_call), np.int32, n),
    }


_PEOPLE_FIELDS = (
    "staff_number",
    "grade",
    "org_unit",
    "location",
    "clearance",
    "weekly_hours",
    "redeployable",
    "protected",
    "available_from",
    "allocated",
    "reviewed_at",
    "reserve_from",
    "reserve_until",
)


def _skill_triples(rows, position, skill_column):
    person, skill, level, last_used, evidence = [], [], [], [], []
    for person_id, skill_id, lvl, used, ev in rows:
        column = skill_column.get(skill_id)
        at = position.get(person_id)
        if column is None or at is None:  # a skill created after the index, or a leaver
            continue
        person.append(at)
        skill.append(column)
        level.append(lvl)
        last_used.append(_ordinal(used))
        evidence.append(EVIDENCE_CODES.get(ev, 0))
    return {
        "person": person,
        "skill": skill,
        "level": level,
        "last_used": last_used,
        "evidence": evidence,
    }


def _columns_and_drafts(triples: dict, *, n_people: int, n_skills: int):
    """Confirmed skills and unconfirmed drafts (DESIGN 9) as two sets of columns:
    drafts count only in a search that asks for them."""
    evidence = np.asarray(triples["evidence"], dtype=np.int8)
    is_draft = evidence == DRAFT
    parts = []
    for keep in (~is_draft, is_draft):
        parts.append(
            SkillColumns.from_triples(
                n_people=n_people,
                n_skills=n_skills,
                **{name: np.asarray(values)[keep] for name, values in triples.items()},
            )
        )
    return parts[0], parts[1]


def _load_relations(skill_column) -> dict[int, list[Relation]]:
    relations: dict[int, list[Relation]] = {}
    for from_id, to_id, kind, strength in _rows(
        "SELECT from_skill_id, to_skill_id, kind, strength FROM taxonomy_skillrelation"
    ):
        if from_id not in skill_column or to_id not in skill_column:
            continue
        value = strength if strength is not None else DEFAULT_RELATION_STRENGTH[kind]
        relations.setdefault(skill_column[from_id], []).append(
            Relation(skill_column[to_id], float(value))
        )
    return relations


def _load_role_levels(role_index, skill_column) -> dict[int, dict[int, int]]:
    """Per role profile, the level it requires of each skill (rule 6's coverage);
    ``role_index`` is extended, never renumbered, so spells stay valid."""
    levels: dict[int, dict[int, int]] = {}
    for role_id, skill_id, level in _rows(
        "SELECT role_id, skill_id, level FROM roles_rolerequirement"
    ):
        index = role_index.setdefault(role_id, len(role_index))
        required = levels.setdefault(index, {})
        column = skill_column.get(skill_id)
        if column is not None:
            required[column] = max(required.get(column, 0), level)
    return levels


_SKILL_ROWS = "SELECT person_id, skill_id, level, last_used, evidence FROM people_personskill"
_SPELLS = 'SELECT person_id, role_profile_id, title, "end", start FROM people_rolehistory'


def _spells(rows, position, role_index) -> list[RoleSpell]:
    """A few people's spells (the change feed's handful)."""
    return [
        RoleSpell(
            person=position[person_id],
            role=role_index.get(role_id) if role_id is not None else None,
            title=title,
            end=_ordinal(end),
            start=_ordinal(start),
        )
        for person_id, role_id, title, end, start in rows
        if person_id in position
    ]


def _spell_table(rows, position, role_index) -> SpellTable:
    """Everyone's spells, straight into arrays (no object per spell)."""
    person, role, end, start, title = [], [], [], [], []
    codes: dict[str, int] = {}
    for person_id, role_id, text, ended, started in rows:
        at = position.get(person_id)
        if at is None:
            continue
        person.append(at)
        found = role_index.get(role_id) if role_id is not None else None
        role.append(-1 if found is None else found)
        end.append(_ordinal(ended))
        start.append(_ordinal(started))
        title.append(codes.setdefault(text, len(codes)))
    return SpellTable(
        person=person, role=role, end=end, start=start, title=title, titles=list(codes)
    )


def build_workforce_index() -> WorkforceIndex:
    started = time.perf_counter()
    skill_ids = np.array(
        [pk for (pk,) in _rows("SELECT id FROM taxonomy_skill ORDER BY id")], dtype=np.int64
    )
    skill_column = {int(pk): col for col, pk in enumerate(skill_ids)}
    org_unit_ids, org_unit_paths, unit_index = _load_units()

    people_rows, _, next_leaving = _split_leavers(
        _rows(f"SELECT {_PERSON_COLUMNS} FROM people_person ORDER BY id"),  # noqa: S608  (constant columns)
        _today(),
    )
    n = len(people_rows)
    person_ids = np.fromiter((r[0] for r in people_rows), dtype=np.int64, count=n)
    location_code: dict[str, int] = {}
    people = People(**_people_arrays(people_rows, unit_index, location_code, _allocated_ids()))
    del people_rows

    position = {int(pk): i for i, pk in enumerate(person_ids)}
    triples = _skill_triples(
        _rows(_SKILL_ROWS),
        position,
        skill_column,
    )
    skills, drafts = _columns_and_drafts(triples, n_people=n, n_skills=len(skill_ids))
    del triples

    role_index: dict[int, int] = {}
    levels = _load_role_levels(role_index, skill_column)
    spells = _spell_table(_rows(_SPELLS), position, role_index)
    return WorkforceIndex(
        workforce=Workforce(
            skills=skills,
            people=people,
            relations=_load_relations(skill_column),
            roles=RoleLibrary(levels=levels, spells=spells),
            drafts=drafts,
        ),
        person_ids=person_ids,
        skill_ids=skill_ids,
        skill_column=skill_column,
        role_index=role_index,
        org_unit_ids=org_unit_ids,
        org_unit_paths=org_unit_paths,
        locations=list(location_code),
        unit_index=unit_index,
        location_code=location_code,
        built_in_seconds=time.perf_counter() - started,
        next_leaving=next_leaving,
    )


class _Rebuild(Exception):
    """The pending changes are cheaper to apply by building afresh."""


@dataclass
class _Built:
    index: WorkforceIndex
    last_id: int
    gaps: dict[int, float]
    snapshot: str | None = None  # the snapshot it was mapped from (None: built here)


def _writable(people: People, *names: str) -> None:
    """Arrays mapped from a snapshot are read-only and shared: a process that
    changes some in place (the change feed) takes its own copy first."""
    for name in names:
        value = getattr(people, name)
        if not value.flags.writeable:
            # Saved staff numbers are fixed-width text: held as objects again, so a
            # longer new one is not cut short.
            setattr(
                people, name, value.astype(object) if value.dtype.kind == "U" else np.array(value)
            )


class FreshIndex:
    """One process's index and its place in the change sequence.

    ``background``: a process that serves traffic (set by the server's start-up,
    ``warm_index``) never rebuilds on the request path once it has an index. A
    bulk change, a leaving day or an oversized patch starts one rebuild in a
    background thread, and searches go on with the index they have (small changes
    still apply to it) until the new one is swapped in; the lock is held only to
    apply changes and to swap, never while building. Without it (tests,
    management commands) the rebuild happens at once, so the caller sees it."""

    def __init__(self, *, background: bool = False):
        self.index: WorkforceIndex | None = None
        self.last_id = 0
        self.gaps: dict[int, float] = {}  # change ids not yet seen -> first noticed
        self.patch: dict[int, list[tuple]] = {}  # Person.pk -> current skill rows
        self.rebuilds = 0
        self.background = background
        self._renumbered = False
        self._lock = threading.Lock()
        self._builder: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.index is not None

    def current(self) -> WorkforceIndex:
        with self._lock:
            if self.index is None:
                self._install_built(self._build())
            try:
                if 0 < self.index.next_leaving <= _today():
                    raise _Rebuild
                self._apply(self._unseen())
            except _Rebuild:
                if self.background:
                    self._rebuild_in_background()
                else:
                    self._install_built(self._build(at_least=self.last_id))
            return self.index

    @property
    def rebuilding(self) -> bool:
        return self._builder is not None and self._builder.is_alive()

    def _rebuild_in_background(self) -> None:
        """Start one rebuild off the request path (called with the lock held)."""
        if self.rebuilding:
            return
        at_least = self.last_id
        wait = float(getattr(settings, "MUSTER_INDEX_SNAPSHOT_WAIT", 60))

        def build() -> None:
            try:
                built = self._build(at_least=at_least, wait=wait)
                with self._lock:
                    self._install_built(built)
            except Exception:
                logger.exception("background rebuild of the workforce index failed")
            finally:
                connection.close()  # this thread's own connection

        self._builder = threading.Thread(target=build, name="workforce-index-build", daemon=True)
        self._builder.start()

    def _build(self, *, at_least: int = 0, wait: float = 0.0) -> _Built:
        """The index as of change ``at_least`` or later: mapped from the newest
        shared snapshot when there is one that recent (waiting up to ``wait``
        seconds for the task worker to write it), else built here."""
        root = snapshot.snapshot_root()
        if root is not None:
            deadline = time.monotonic() + wait
            while True:
                loaded = snapshot.load(root, at_least=at_least, max_id=self._max_change_id())
                if loaded is not None:
                    return loaded
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.5)
        return self.build_from_database()

    @classmethod
    def build_from_database(cls) -> _Built:
        """Build from one snapshot of the database. The newest change ids that
        the snapshot cannot see belong to transactions still open: they are
        watched as gaps, so their changes apply once they commit."""
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            top = cls._max_change_id()
            visible = {
                pk
                for (pk,) in _rows(
                    "SELECT id FROM people_workforcechange WHERE id > %s",
                    [top - BUILD_OVERLAP],
                )
            }
            index = build_workforce_index()
        now = time.monotonic()
        gaps = {
            pk: now for pk in range(max(1, top - BUILD_OVERLAP + 1), top + 1) if pk not in visible
        }
        return _Built(index, top, gaps)

    def _install_built(self, built: _Built) -> None:
        """Swap a freshly built index in; changes after its snapshot apply on the
        next search (the change feed is read from the snapshot's top)."""
        self.index, self.last_id, self.gaps = built.index, built.last_id, built.gaps
        self.patch = {}
        self._renumbered = False
        self.rebuilds += 1

    @staticmethod
    def _max_change_id() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM people_workforcechange")
            return int(cursor.fetchone()[0])

    def _unseen(self) -> list[tuple[int, str, int | None]]:
        sql = "SELECT id, scope, person_id FROM people_workforcechange WHERE id > %s"
        params: list = [self.last_id]
        if self.gaps:
            marks, ids = _in_list(self.gaps)
            sql += f" OR id IN ({marks})"
            params += ids
        rows = list(_rows(sql + " ORDER BY id", params))
        seen = {row[0] for row in rows}
        now = time.monotonic()
        for gap in list(self.gaps):
            if gap in seen or now - self.gaps[gap] > GAP_PATIENCE_SECONDS:
                del self.gaps[gap]
        if rows:
            top = rows[-1][0]
            if top > self.last_id:
                # Ids below the top that are not here yet belong to transactions
                # still open (or rolled back): look for them again next time.
                fresh = (row[0] for row in rows if row[0] > self.last_id)
                missing = set(range(self.last_id + 1, top + 1)) - set(fresh)
                for gap in missing:
                    self.gaps.setdefault(gap, now)
                self.last_id = top
        return rows

    def _apply(self, rows) -> None:
        if not rows:
            return
        scopes = {scope for _, scope, _ in rows}
        if ChangeScope.ALL in scopes:
            raise _Rebuild
        people = {pk for _, scope, pk in rows if scope == ChangeScope.PERSON and pk}
        history = {pk for _, scope, pk in rows if scope == ChangeScope.HISTORY and pk}
        index = self.index
        workforce = index.workforce
        skills, relations, roles = workforce.skills, workforce.relations, workforce.roles
        drafts, attributes = workforce.drafts, workforce.people
        if ChangeScope.TAXONOMY in scopes:
            skills, drafts, relations = self._reload_taxonomy()
        if people:
            skills, drafts, attributes = self._apply_people(people, skills, drafts, attributes)
        if ChangeScope.ALLOCATIONS in scopes:
            _writable(attributes, "allocated")
            attributes.allocated[:] = np.isin(index.person_ids, _allocated_ids())
        if ChangeScope.ROLES in scopes or ChangeScope.TAXONOMY in scopes:
            levels = _load_role_levels(index.role_index, index.skill_column)
            roles = RoleLibrary(levels=levels, spells=roles.spells)
        if history:
            roles = self._apply_history(history, roles)
        self._install(skills, drafts, attributes, relations, roles)

    def _reload_taxonomy(self):
        """New skills get empty columns (ids only grow); relations are re-read."""
        index = self.index
        skills, drafts = index.workforce.skills, index.workforce.drafts
        all_ids = [pk for (pk,) in _rows("SELECT id FROM taxonomy_skill ORDER BY id")]
        new = [pk for pk in all_ids if pk not in index.skill_column]
        if new:
            if index.skill_ids.size and min(new) < index.skill_ids[-1]:
                raise _Rebuild
            for pk in new:
                index.skill_column[pk] = len(index.skill_column)
            index.skill_ids = np.concatenate([index.skill_ids, np.array(new, dtype=np.int64)])
            skills = skills.resized(n_skills=len(index.skill_ids))
            drafts = drafts.resized(n_skills=len(index.skill_ids))
        return skills, drafts, _load_relations(index.skill_column)

    def _apply_people(
        self, person_ids: set[int], skills: SkillColumns, drafts: SkillColumns, people: People
    ) -> tuple[SkillColumns, SkillColumns, People]:
        index = self.index
        marks, ids = _in_list(sorted(person_ids))
        rows = list(
            _rows(f"SELECT {_PERSON_COLUMNS} FROM people_person WHERE id IN ({marks})", ids)  # noqa: S608  (placeholders only)
        )
        if len(rows) < len(person_ids):
            raise _Rebuild  # someone was deleted
        rows, leaving, next_leaving = _split_leavers(rows, _today())
        if any(index.position_of(r[0]) is not None for r in leaving):
            raise _Rebuild  # someone in the index has left
        if next_leaving:
            index.next_leaving = min(index.next_leaving or next_leaving, next_leaving)
        person_ids = {r[0] for r in rows}
        if not person_ids:
            return skills, drafts, people
        marks, ids = _in_list(sorted(person_ids))
        if len(self.patch) + len(person_ids) > PATCH_LIMIT:
            raise _Rebuild
        if any(r[3] not in index.unit_index for r in rows):
            self._add_units()
        known = [r for r in rows if index.position_of(r[0]) is not None]
        new = [r for r in rows if index.position_of(r[0]) is None]
        if new and new[0][0] < index.person_ids[-1]:
            raise _Rebuild  # ids only grow; anything else is a restore: start again
        allocated = _allocated_ids()
        if known:
            values = _people_arrays(known, index.unit_index, index.location_code, allocated)
            at = np.array([index.position_of(r[0]) for r in known], dtype=np.int64)
            if np.any(people.staff_number[at] != values["staff_number"]):
                self._renumbered = True
            _writable(people, *_PEOPLE_FIELDS)
            for name in _PEOPLE_FIELDS:
                getattr(people, name)[at] = values[name]
        if new:
            values = _people_arrays(new, index.unit_index, index.location_code, allocated)
            people = People(
                **{
                    name: np.concatenate([getattr(people, name), values[name]])
                    for name in _PEOPLE_FIELDS
                }
            )
            index.person_ids = np.concatenate(
                [index.person_ids, np.array([r[0] for r in new], dtype=np.int64)]
            )
            skills = skills.resized(n_people=len(index.person_ids))
            drafts = drafts.resized(n_people=len(index.person_ids))
        index.locations = list(index.location_code)
        for pk in person_ids:
            self.patch[pk] = []
        sql = f"{_SKILL_ROWS} WHERE person_id IN ({marks})"  # noqa: S608  (placeholders only)
        for row in _rows(sql, ids):
            self.patch[row[0]].append(row)
        return skills, drafts, people

    def _add_units(self) -> None:
        """Units created since the build join the end of the unit list."""
        index = self.index
        ids, paths, _ = _load_units()
        for pk, path in zip(ids, paths, strict=True):
            if int(pk) not in index.unit_index:
                index.unit_index[int(pk)] = len(index.org_unit_paths)
                index.org_unit_paths.append(path)
                index.org_unit_ids = np.append(index.org_unit_ids, pk)

    def _apply_history(self, person_ids: set[int], roles: RoleLibrary) -> RoleLibrary:
        index = self.index
        positions = {pk: index.position_of(pk) for pk in person_ids}
        positions = {pk: at for pk, at in positions.items() if at is not None}
        touched = set(positions.values())
        marks, ids = _in_list(sorted(positions))
        kept = roles.spells.without_people(touched)
        fresh = (
            _spells(
                _rows(f"{_SPELLS} WHERE person_id IN ({marks})", ids), positions, index.role_index
            )
            if ids
            else []
        )
        return RoleLibrary(levels=roles.levels, spells=kept.extended(fresh))

    def _install(self, skills, drafts, people, relations, roles) -> None:
        index = self.index
        workforce = Workforce(
            skills=skills, people=people, relations=relations, roles=roles, drafts=drafts
        )
        # People's arrays were changed in place: drop cached masks, and re-rank staff
        # numbers (an argsort of all of them) only when one of them changed.
        workforce.people_changed(staff_numbers=self._renumbered)
        self._renumbered = False
        if self.patch:
            positions = {index.position_of(pk): pk for pk in self.patch}
            order = sorted(positions)
            position = {positions[at]: local for local, at in enumerate(order)}
            rows = [row for at in order for row in self.patch[positions[at]]]
            triples = _skill_triples(rows, position, index.skill_column)
            columns, patch_drafts = _columns_and_drafts(
                triples, n_people=len(order), n_skills=len(index.skill_ids)
            )
            workforce.patch(np.array(order, dtype=np.int64), columns, patch_drafts)
        index.workforce = workforce


_fresh = FreshIndex()


def current_index() -> WorkforceIndex:
    """This process's index, with every committed change applied (in a serving
    process, bulk changes apply once the background rebuild they started is done)."""
    return _fresh.current()


def index_ready() -> bool:
    """Has this process loaded its index (``/healthz/ready``)?"""
    return _fresh.ready


def warm_index(*, heartbeat: Callable[[], None] | None = None, interval: float = 1.0) -> float:
    """Build this serving process's index now, before it takes traffic, and from
    then on rebuild off the request path. ``heartbeat`` is called every
    ``interval`` seconds while building (gunicorn's ``worker.notify``, so the
    arbiter does not take a long build for a hung worker). Returns the seconds taken."""
    started = time.perf_counter()
    _fresh.background = True
    failed: list[BaseException] = []

    def build() -> None:
        try:
            _fresh.current()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failed.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=build, name="workforce-index-warm", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(interval)
        if heartbeat is not None:
            heartbeat()
    if failed:
        raise failed[0]
    return time.perf_counter() - started


def warm_index_in_background() -> threading.Thread:
    """``warm_index`` in a daemon thread (``runserver``: it serves while building).
    A failure is logged, not raised: the first search then builds instead."""

    def warm() -> None:
        try:
            warm_index()
        except Exception:
            logger.exception("warming the workforce index failed; the first search will build it")

    thread = threading.Thread(target=warm, name="workforce-index-warm", daemon=True)
    thread.start()
    return thread


def reset_index() -> None:
    """Forget the index (tests; a new database)."""
    global _fresh
    _fresh = FreshIndex()
