"""Set-based writes of many people, person skills or role-history rows at once: the
write path of the HR imports, with the invariants of the one-row services in
``services.py`` and ``profile_services.py``:

- every change declares itself to the matching index (``workforce_changed``) in the same
  transaction;
- every person whose record is created or changed gets an audit row
  (``Action.EDIT_PROFILE``, naming the import), so "who viewed me" shows it;
- a changed row's ``version`` moves on, so an editor holding the old version gets a
  conflict instead of overwriting the import;
- person skills are written only against skills that are still active (share-locked
  on PostgreSQL until commit, so a merge waits for the import).

Rows arrive already checked (the importer's job) and go through a temporary staging
table (``core/staging.py``), compared with the live tables in SQL, so 1.5 million rows
write in seconds. ``dry_run`` classifies and counts without writing. Call inside
``transaction.atomic()``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from matching.drafting import DRAFT_EVIDENCE, Held, Source, combine, plan
from skills_app.audit.models import Action
from skills_app.audit.services import record_events_for_people
from skills_app.core.staging import (
    Counts,
    Staging,
    classify,
    differs,
    insert_select,
    param,
    q,
)
from skills_app.index.changes import workforce_changed
from skills_app.people.draft_sources import rows_of_people
from skills_app.people.models import (
    ChangeScope,
    DraftRejection,
    EvidenceKind,
    OrgUnit,
    OrgUnitKind,
    Person,
    PersonSkill,
    RoleHistory,
)
from taxonomy.models import Skill, SkillStatus
from taxonomy.selectors import active_skill_count

PEOPLE_STAGING = "muster_bulk_people"
PEOPLE_CLASSIFIED = "muster_bulk_people_c"
SKILLS_STAGING = "muster_bulk_person_skills"
SKILLS_CLASSIFIED = "muster_bulk_person_skills_c"
HISTORY_STAGING = "muster_bulk_role_history"
HISTORY_CLASSIFIED = "muster_bulk_role_history_c"


class SkillsChanged(Exception):
    """A skill being written was merged or withdrawn since the rows were checked."""


class _NoProgress:
    """Progress for a caller that does not watch it (the imports pass their own)."""

    def begin(self, phase: str, total: int = 0) -> None:
        """Nothing to report to."""

    def advance(self, rows: int = 1) -> None:
        """Nothing to report to."""


def _declare_changes(
    counts: Counts, *, actor, classified: str, key: str, person_key: str, source: dict
) -> None:
    """After a write: one EDIT_PROFILE audit row per person created or changed in
    ``classified`` (a staging table whose ``key`` column names the person by
    ``person_key``), and the change declared to the matching index."""
    if not (counts.created or counts.updated):
        return
    changed = Person.objects.filter(
        **{
            # Only module constants are spliced in; no value comes from the rows.
            f"{person_key}__in": RawSQL(  # noqa: S611
                f"SELECT DISTINCT {q(key)} FROM {q(classified)} "  # noqa: S608
                "WHERE action IN ('c', 'u')",
                [],
            )
        }
    )
    record_events_for_people(
        actor=actor, action=Action.EDIT_PROFILE, people=changed, parameters=source
    )
    workforce_changed(ChangeScope.ALL)


# -- people ----------------------------------------------------------------------------------

# The order of values in each row given to people_bulk_upsert.
PEOPLE_COLUMNS = (
    "staff_number",
    "full_name",
    "work_email",
    "grade",
    "org_path",
    "location",  # None: keep what Muster holds (a new person: blank)
    "weekly_hours",  # None: keep (new: 37)
    "clearance",  # None: keep (new: BPSS)
    "redeployable",  # None: keep (new: yes)
    "protected",  # None: keep (new: no)
    "available_from",  # None: keep (new: none)
    "manager_sn",  # None: keep the line manager; "": no line manager
    "left_on",  # the leaving day, or None (with left_given 1: not left)
    "left_given",  # 0: keep the recorded leaving day
)


def _path_key(path: str) -> str:
    return path.casefold()


def _ensure_units(paths: Iterable[str]) -> tuple[dict[str, int], int]:
    """Every path -> org unit id, creating missing units (and their missing ancestors)
    level by level. Paths match existing units ignoring case."""
    paths = set(paths)
    existing = {
        _path_key(path): (pk, path) for pk, path in OrgUnit.objects.values_list("pk", "path")
    }
    wanted: dict[str, str] = {}  # key -> path as it will be stored
    parents_of_new: set[str] = set()
    for path in sorted(paths, key=lambda p: p.count("/")):
        segments = path.split("/")
        canonical = ""
        for depth, segment in enumerate(segments):
            candidate = f"{canonical}/{segment}" if canonical else segment
            key = _path_key(candidate)
            if key in existing:
                canonical = existing[key][1]
            elif key in wanted:
                canonical = wanted[key]
            else:
                wanted[key] = candidate
                canonical = candidate
            if depth < len(segments) - 1:
                parents_of_new.add(_path_key(canonical))
    created = 0
    by_depth: dict[int, list[str]] = {}
    for key, path in wanted.items():
        by_depth.setdefault(path.count("/"), []).append(key)
    for depth in sorted(by_depth):
        units = []
        for key in by_depth[depth]:
            path = wanted[key]
            parent_path, _, name = path.rpartition("/")
            if depth == 0:
                kind = OrgUnitKind.DEPARTMENT
            elif depth == 1:
                kind = OrgUnitKind.DIRECTORATE
            else:
                kind = OrgUnitKind.DIVISION if key in parents_of_new else OrgUnitKind.TEAM
            units.append(
                OrgUnit(
                    name=name,
                    path=path,
                    depth=depth,
                    kind=kind,
                    parent_id=existing[_path_key(parent_path)][0] if parent_path else None,
                )
            )
        OrgUnit.objects.bulk_create(units)
        for pk, path in OrgUnit.objects.filter(path__in=[u.path for u in units]).values_list(
            "pk", "path"
        ):
            existing[_path_key(path)] = (pk, path)
        created += len(units)
    return {path: existing[_path_key(path)][0] for path in paths}, created


def people_bulk_upsert(
    *, rows: Collection[tuple], actor, source: dict, dry_run: bool = False, progress=None
) -> Counts:
    """Create or update people matched on staff number; each row holds PEOPLE_COLUMNS.
    The rows must be checked already: unique staff numbers and emails, managers that
    exist in the rows or in Muster, no management loops. Missing org units are created
    (counted in ``extra["org_units_created"]``, and kept on a dry run's rollback only
    if the caller commits)."""
    progress = progress or _NoProgress()
    units, units_created = _ensure_units(row[4] for row in rows)
    staging = Staging(
        PEOPLE_STAGING,
        [
            ("staff_number", "text"),
            ("full_name", "text"),
            ("work_email", "text"),
            ("grade", "text"),
            ("org_unit_id", "bigint"),
            ("location", "text"),
            ("weekly_hours", "decimal"),
            ("clearance", "smallint"),
            ("redeployable", "bool"),
            ("protected", "bool"),
            ("available_from", "date"),
            ("manager_sn", "text"),
            ("left_on", "date"),
            ("left_given", "smallint"),
        ],
    )
    staged = ((*row[:4], units[row[4]], *row[5:14]) for row in rows)
    person = q(Person._meta.db_table)
    protected = q("protected")
    c = q(PEOPLE_CLASSIFIED)
    with connection.cursor() as cursor:
        staging.create(cursor)
        progress.begin("writing", len(rows))
        staging.load(cursor, staged, progress=progress)
        staging.index(cursor, "staff_number")
        progress.begin("saving", len(rows))
        changed = " OR ".join(
            [
                "t.full_name <> p.full_name",
                "t.work_email <> p.work_email",
                "t.grade <> p.grade",
                "t.org_unit_id <> p.org_unit_id",
                "(t.location IS NOT NULL AND t.location <> p.location)",
                "(t.weekly_hours IS NOT NULL AND t.weekly_hours <> p.weekly_hours)",
                "(t.clearance IS NOT NULL AND t.clearance <> p.clearance)",
                "(t.redeployable IS NOT NULL AND t.redeployable <> p.redeployable)",
                f"(t.{protected} IS NOT NULL AND t.{protected} <> p.{protected})",
                "(t.available_from IS NOT NULL AND "
                + differs("t.available_from", "p.available_from")
                + ")",
                "(t.manager_sn IS NOT NULL AND "
                + differs("NULLIF(t.manager_sn, '')", "m.staff_number")
                + ")",
                "(t.left_given = 1 AND " + differs("t.left_on", "p.left_on") + ")",
            ]
        )
        counts = classify(
            cursor,
            c,
            id_as="person_id",
            changed=changed,
            source=(
                f"{staging.table} t LEFT JOIN {person} p ON p.staff_number = t.staff_number "
                f"LEFT JOIN {person} m ON m.id = p.line_manager_id"
            ),
        )
        counts.extra["org_units_created"] = units_created
        if not dry_run and (counts.created or counts.updated):
            _apply_people(cursor, c, person, param(timezone.now()))
            _declare_changes(
                counts,
                actor=actor,
                classified=PEOPLE_CLASSIFIED,
                key="staff_number",
                person_key="staff_number",
                source=source,
            )
        cursor.execute(f"DROP TABLE IF EXISTS {c}")
        staging.drop(cursor)
    return counts


def _apply_people(cursor, c: str, person: str, now) -> None:
    # New people first (without managers), so every manager exists.
    insert_select(
        cursor,
        Person,
        [
            ("staff_number", "staff_number"),
            ("full_name", "full_name"),
            ("work_email", "work_email"),
            ("grade", "grade"),
            ("org_unit_id", "org_unit_id"),
            ("location", "COALESCE(location, '')"),
            ("weekly_hours", "COALESCE(weekly_hours, 37)"),
            ("clearance", "COALESCE(clearance, 1)"),
            ("redeployable", "COALESCE(redeployable, TRUE)"),
            ("protected", f"COALESCE({q('protected')}, FALSE)"),
            ("available_from", "available_from"),
            ("left_on", "left_on"),
        ],
        f"FROM {c} WHERE action = 'c'",  # noqa: S608
    )
    # Email changes go through a placeholder, so two people may swap addresses.
    cursor.execute(
        f"UPDATE {person} AS p SET work_email = '#' || p.id || '@import.invalid' "  # noqa: S608
        f"FROM {c} WHERE p.id = {c}.person_id AND {c}.action = 'u' "
        f"AND {c}.work_email <> p.work_email"
    )
    cursor.execute(
        f"UPDATE {person} AS p SET full_name = {c}.full_name, "  # noqa: S608
        f"work_email = {c}.work_email, grade = {c}.grade, org_unit_id = {c}.org_unit_id, "
        f"location = COALESCE({c}.location, p.location), "
        f"weekly_hours = COALESCE({c}.weekly_hours, p.weekly_hours), "
        f"clearance = COALESCE({c}.clearance, p.clearance), "
        f"redeployable = COALESCE({c}.redeployable, p.redeployable), "
        f"{q('protected')} = COALESCE({c}.{q('protected')}, p.{q('protected')}), "
        f"available_from = COALESCE({c}.available_from, p.available_from), "
        f"left_on = CASE WHEN {c}.left_given = 1 THEN {c}.left_on ELSE p.left_on END, "
        f"version = p.version + 1, updated_at = %s "
        f"FROM {c} WHERE p.id = {c}.person_id AND {c}.action = 'u'",
        [now],
    )
    # Line managers last, when everyone exists. (Rows whose only change is the manager
    # were classified "u" above, so their version moved once.)
    cursor.execute(
        f"UPDATE {person} AS p SET line_manager_id = m.id "  # noqa: S608
        f"FROM {c} JOIN {person} m ON m.staff_number = {c}.manager_sn "
        f"WHERE p.staff_number = {c}.staff_number AND {c}.action IN ('c', 'u') "
        f"AND {c}.manager_sn <> '' AND {differs('p.line_manager_id', 'm.id')}"
    )
    cursor.execute(
        f"UPDATE {person} AS p SET line_manager_id = NULL "  # noqa: S608
        f"FROM {c} WHERE p.id = {c}.person_id AND {c}.action = 'u' "
        f"AND {c}.manager_sn = '' AND p.line_manager_id IS NOT NULL"
    )


# -- person skills ---------------------------------------------------------------------------


def person_skills_bulk_upsert(
    *,
    rows: Iterable[tuple],
    count: int,
    skill_ids: set[int],
    actor,
    source: dict,
    dry_run: bool = False,
    progress=None,
) -> Counts:
    """Create or update person skills matched on (person, skill). Each row is
    (person_id, skill_id, level, last_used, used_given, evidence): ``used_given`` 0 keeps
    a recorded last-used date, ``evidence`` None keeps the recorded evidence (a new row:
    self-assessed). ``skill_ids`` are the skills the rows name (``count`` rows); raises
    SkillsChanged, writing nothing, if any is no longer active."""
    progress = progress or _NoProgress()
    if active_skill_count(skill_ids, lock=True) != len(skill_ids):
        raise SkillsChanged
    table = q(PersonSkill._meta.db_table)
    c = q(SKILLS_CLASSIFIED)
    staging = Staging(
        SKILLS_STAGING,
        [
            ("person_id", "bigint"),
            ("skill_id", "bigint"),
            ("level", "smallint"),
            ("last_used", "date"),
            ("used_given", "smallint"),
            ("evidence", "text"),
        ],
    )
    with connection.cursor() as cursor:
        staging.create(cursor)
        progress.begin("writing", count)
        staging.load(cursor, rows, progress=progress)
        if connection.vendor != "postgresql":
            staging.index(cursor, "person_id", "skill_id")
        progress.begin("saving", count)
        changed = (
            f"t.level <> p.level "
            f"OR (t.used_given = 1 AND {differs('t.last_used', 'p.last_used')}) "
            "OR (t.evidence IS NOT NULL AND t.evidence <> p.evidence)"
        )
        counts = classify(
            cursor,
            c,
            id_as="row_id",
            changed=changed,
            source=(
                f"{staging.table} t LEFT JOIN {table} p "
                "ON p.person_id = t.person_id AND p.skill_id = t.skill_id"
            ),
        )
        if not dry_run:
            if counts.updated:
                cursor.execute(
                    f"UPDATE {table} AS p SET level = {c}.level, "  # noqa: S608
                    f"last_used = CASE WHEN {c}.used_given = 1 THEN {c}.last_used "
                    "ELSE p.last_used END, "
                    f"evidence = COALESCE({c}.evidence, p.evidence), "
                    f"version = p.version + 1, updated_at = %s "
                    f"FROM {c} WHERE p.id = {c}.row_id AND {c}.action = 'u'",
                    [param(timezone.now())],
                )
            if counts.created:
                insert_select(
                    cursor,
                    PersonSkill,
                    [
                        ("person_id", "person_id"),
                        ("skill_id", "skill_id"),
                        ("level", "level"),
                        ("last_used", "last_used"),
                        ("evidence", f"COALESCE(evidence, '{EvidenceKind.SELF.value}')"),
                    ],
                    f"FROM {c} WHERE action = 'c'",  # noqa: S608
                )
            if counts.created > 50_000 and connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {table}")
            _declare_changes(
                counts,
                actor=actor,
                classified=SKILLS_CLASSIFIED,
                key="person_id",
                person_key="pk",
                source=source,
            )
        cursor.execute(f"DROP TABLE IF EXISTS {c}")
        staging.drop(cursor)
    return counts


# -- role history ----------------------------------------------------------------------------


def role_history_bulk_upsert(
    *, rows: Collection[list], actor, source: dict, dry_run: bool = False, progress=None
) -> Counts:
    """Create or update role-history spells matched on (person, title, start). Each row
    is (person_id, title, start, end, end_given, role_profile_id, title_profile_id):
    ``end_given`` 0 keeps a recorded end date; ``role_profile_id`` None keeps a recorded
    link, and a new spell falls back to ``title_profile_id`` (the one role profile with
    the same title, if any)."""
    progress = progress or _NoProgress()
    table = q(RoleHistory._meta.db_table)
    c = q(HISTORY_CLASSIFIED)
    start, end = q("start"), q("end")
    staging = Staging(
        HISTORY_STAGING,
        [
            ("person_id", "bigint"),
            ("title", "text"),
            ("start", "date"),
            ("end", "date"),
            ("end_given", "smallint"),
            ("role_profile_id", "bigint"),
            ("title_profile_id", "bigint"),
        ],
    )
    with connection.cursor() as cursor:
        staging.create(cursor)
        progress.begin("writing", len(rows))
        staging.load(cursor, rows, progress=progress)
        if connection.vendor != "postgresql":
            staging.index(cursor, "person_id", "title", "start")
        progress.begin("saving", len(rows))
        changed = (
            f"(t.end_given = 1 AND {differs(f't.{end}', f'p.{end}')}) "
            "OR (t.role_profile_id IS NOT NULL AND "
            f"{differs('t.role_profile_id', 'p.role_profile_id')})"
        )
        counts = classify(
            cursor,
            c,
            id_as="row_id",
            changed=changed,
            source=(
                f"{staging.table} t LEFT JOIN {table} p ON p.person_id = t.person_id "
                f"AND p.title = t.title AND p.{start} = t.{start}"
            ),
        )
        if not dry_run:
            cursor.execute(
                f"UPDATE {table} AS p "  # noqa: S608
                f"SET {end} = CASE WHEN {c}.end_given = 1 THEN {c}.{end} ELSE p.{end} END, "
                f"role_profile_id = COALESCE({c}.role_profile_id, p.role_profile_id), "
                f"version = p.version + 1 "
                f"FROM {c} WHERE p.id = {c}.row_id AND {c}.action = 'u'"
            )
            insert_select(
                cursor,
                RoleHistory,
                [
                    ("person_id", "person_id"),
                    ("title", "title"),
                    ("start", start),
                    ("end", end),
                    ("role_profile_id", "COALESCE(role_profile_id, title_profile_id)"),
                ],
                f"FROM {c} WHERE action = 'c'",  # noqa: S608
            )
            _declare_changes(
                counts,
                actor=actor,
                classified=HISTORY_CLASSIFIED,
                key="person_id",
                person_key="pk",
                source=source,
            )
        cursor.execute(f"DROP TABLE IF EXISTS {c}")
        staging.drop(cursor)
    return counts


# -- draft skills ----------------------------------------------------------------------------

DRAFTS_STAGING = "muster_bulk_drafts"


@dataclass
class DraftBatchCounts:
    """What drafting a batch of people did (the sums of ``matching.drafting.plan``)."""

    people: int = 0  # people looked at
    people_drafted: int = 0  # people whose drafts changed
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    unchanged: int = 0
    skipped_rejected: int = 0
    skipped_confirmed: int = 0
    by_source: dict = field(default_factory=dict)  # drafts created, by their leading source

    def add(self, other: DraftBatchCounts) -> None:
        for name in (
            "people",
            "people_drafted",
            "created",
            "updated",
            "withdrawn",
            "unchanged",
            "skipped_rejected",
            "skipped_confirmed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, n in other.by_source.items():
            self.by_source[kind] = self.by_source.get(kind, 0) + n

    def as_dict(self) -> dict:
        return {
            "people": self.people,
            "people_drafted": self.people_drafted,
            "drafts_created": self.created,
            "drafts_updated": self.updated,
            "drafts_withdrawn": self.withdrawn,
            "drafts_unchanged": self.unchanged,
            "skipped_rejected": self.skipped_rejected,
            "skipped_confirmed": self.skipped_confirmed,
            "by_source": dict(sorted(self.by_source.items())),
        }


def _active_skills_locked(skill_ids: set[int]) -> set[int]:
    """The ids still active, share-locked on PostgreSQL until commit so a merge
    (which takes FOR UPDATE) waits for this batch, as the one-person path does."""
    if not skill_ids:
        return set()
    ids = sorted(skill_ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM taxonomy_skill WHERE id = ANY(%s) AND status = 'active' FOR SHARE",
                [ids],
            )
            return {row[0] for row in cursor.fetchall()}
    return set(
        Skill.objects.filter(pk__in=ids, status=SkillStatus.ACTIVE).values_list("pk", flat=True)
    )


def _held_drafting_state(person_ids: list[int]):
    """Per person (``person_ids`` sorted), what the profile holds (``Held``) and each
    draft's version; and the skills each rejected."""
    held: dict[int, dict[int, Held]] = {pk: {} for pk in person_ids}
    versions: dict[tuple[int, int], int] = {}
    # A run never touches a skill that is not a draft: only its presence and evidence
    # matter, so its (empty) sources are not read.
    confirmed = rows_of_people(PersonSkill.objects, person_ids).confirmed()
    for person_id, skill_id, evidence, level, last_used in confirmed.values_list(
        "person_id", "skill_id", "evidence", "level", "last_used"
    ):
        if person_id in held:
            held[person_id][skill_id] = Held(evidence, level, last_used)
    # The sources as text, parsed here: Django's JSON field converter costs about
    # as much again per row.
    drafts = (
        rows_of_people(PersonSkill.objects, person_ids)
        .drafts()
        .annotate(sources_text=Cast("sources", output_field=TextField()))
    )
    from_json, loads = Source.from_json, json.loads
    for person_id, skill_id, level, last_used, sources, version in drafts.values_list(
        "person_id", "skill_id", "level", "last_used", "sources_text", "version"
    ):
        if person_id in held:
            parsed = tuple(from_json(s) for s in loads(sources or "[]") or ())
            held[person_id][skill_id] = Held(DRAFT_EVIDENCE, level, last_used, parsed)
            versions[person_id, skill_id] = version
    rejected: dict[int, set[int]] = {}
    for person_id, skill_id in rows_of_people(DraftRejection.objects, person_ids).values_list(
        "person_id", "skill_id"
    ):
        rejected.setdefault(person_id, set()).add(skill_id)
    return held, versions, rejected


def drafts_bulk_apply(
    *, offers: Mapping[int, Iterable[tuple[int, Source]]], kinds: Iterable[str], actor, source: dict
) -> DraftBatchCounts:
    """Draft a batch of people at once: per person, ``matching.drafting.plan`` over
    ``combine(offers)`` and what the profile holds (exactly as ``drafts.draft_person``
    decides for one), then the whole batch written set-based. ``offers``: person id ->
    (skill id, Source) offers, every person of the batch present (a person with no
    offers has their stale drafts of ``kinds`` withdrawn).

    The writes are guarded in SQL, so a person who confirms or rejects a draft while
    the batch runs wins: a draft is created only where the person holds no row for the
    skill and has not rejected it, and updated or withdrawn only while it is still a
    draft at the version read. Each person whose drafts changed gets one audit row
    (``Action.DRAFT`` with ``source``, which names the run) and a new version; the
    change is declared to the matching index. Call inside ``transaction.atomic()``."""
    kinds = frozenset(kinds)
    person_ids = sorted(offers)
    counts = DraftBatchCounts(people=len(person_ids))
    held, versions, rejected = _held_drafting_state(person_ids)
    rows: list[tuple] = []
    dumps = json.dumps
    for person_id in person_ids:
        decided = plan(
            combine(offers[person_id]),
            held[person_id],
            rejected.get(person_id, frozenset()),
            kinds=kinds,
        )
        counts.unchanged += decided.unchanged
        counts.skipped_rejected += decided.skipped_rejected
        counts.skipped_confirmed += decided.skipped_confirmed
        for p in decided.create:
            rows.append(
                (
                    person_id,
                    p.skill_id,
                    p.level,
                    p.last_used,
                    p.source,
                    dumps([s.to_json() for s in p.sources]),
                    "c",
                    0,
                )
            )
        for p in decided.update:
            rows.append(
                (
                    person_id,
                    p.skill_id,
                    p.level,
                    p.last_used,
                    p.source,
                    dumps([s.to_json() for s in p.sources]),
                    "u",
                    versions[person_id, p.skill_id],
                )
            )
        for skill_id in decided.withdraw:
            rows.append(
                (person_id, skill_id, None, None, "", "[]", "w", versions[person_id, skill_id])
            )
    if not rows:
        return counts
    # A skill merged or withdrawn since the offers were gathered is not written.
    writing = {row[1] for row in rows if row[6] != "w"}
    active = _active_skills_locked(writing)
    if len(active) != len(writing):
        rows = [row for row in rows if row[6] == "w" or row[1] in active]
    for row in rows:
        if row[6] == "c":
            counts.by_source[row[4]] = counts.by_source.get(row[4], 0) + 1
    table = q(PersonSkill._meta.db_table)
    person = q(Person._meta.db_table)
    rejections = q(DraftRejection._meta.db_table)
    as_json = "CAST(t.sources AS jsonb)" if connection.vendor == "postgresql" else "t.sources"
    staging = Staging(
        DRAFTS_STAGING,
        [
            ("person_id", "bigint"),
            ("skill_id", "bigint"),
            ("level", "smallint"),
            ("last_used", "date"),
            ("source", "text"),
            ("sources", "text"),
            ("op", "text"),
            ("seen_version", "int"),
        ],
    )
    s = staging.table
    now = param(timezone.now())
    with connection.cursor() as cursor:
        staging.create(cursor)
        staging.load(cursor, rows)
        if connection.vendor != "postgresql":
            staging.index(cursor, "person_id", "skill_id")
        counts.created = insert_select(
            cursor,
            PersonSkill,
            [
                ("person_id", "t.person_id"),
                ("skill_id", "t.skill_id"),
                ("level", "t.level"),
                ("last_used", "t.last_used"),
                ("evidence", f"'{EvidenceKind.INFERRED.value}'"),
                ("source", "t.source"),
                ("sources", as_json),
            ],
            f"FROM {s} t WHERE t.op = 'c' AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {rejections} r WHERE r.person_id = t.person_id "
            "AND r.skill_id = t.skill_id) ON CONFLICT DO NOTHING",
        )
        cursor.execute(
            f"UPDATE {table} AS p SET level = t.level, last_used = t.last_used, "  # noqa: S608
            f"source = t.source, sources = {as_json}, version = p.version + 1, "
            f"updated_at = %s FROM {s} t WHERE t.op = 'u' AND p.person_id = t.person_id "
            f"AND p.skill_id = t.skill_id AND p.evidence = %s AND p.version = t.seen_version",
            [now, EvidenceKind.INFERRED.value],
        )
        counts.updated = cursor.rowcount
        cursor.execute(
            f"DELETE FROM {table} WHERE evidence = %s AND EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {s} t WHERE t.op = 'w' AND t.person_id = {table}.person_id "
            f"AND t.skill_id = {table}.skill_id AND t.seen_version = {table}.version)",
            [EvidenceKind.INFERRED.value],
        )
        counts.withdrawn = cursor.rowcount
        changed_sql = f"SELECT DISTINCT person_id FROM {s}"  # noqa: S608
        cursor.execute(
            f"UPDATE {person} SET version = version + 1, updated_at = %s "  # noqa: S608
            f"WHERE id IN ({changed_sql})",
            [now],
        )
        counts.people_drafted = cursor.rowcount
        record_events_for_people(
            actor=actor,
            action=Action.DRAFT,
            people=Person.objects.filter(pk__in=RawSQL(changed_sql, [])),  # noqa: S611
            parameters=source,
        )
        workforce_changed(ChangeScope.ALL)
        staging.drop(cursor)
    return counts
