"""The workforce index as a versioned snapshot of plain arrays on disk, shared by
every process (issue 17).

One process (the task worker, ``manage.py write_index_snapshot``) builds the
index from one consistent database snapshot and writes it here as NumPy ``.npy``
files plus a small ``meta.json``; every web and worker process maps the newest
complete one read-only (``np.load(mmap_mode="r")``), so the operating system
keeps one copy of the big arrays (the skill columns, the drafts, the spells) in
memory however many processes there are, and a process that starts, or meets a
bulk change, is searchable in well under a second instead of rebuilding. Changes
after the snapshot apply on top through the change feed, as before.

Layout under ``settings.MUSTER_INDEX_DIR``::

    CURRENT                 the name of the newest complete snapshot
    000000001234-<written>-<random>/  one snapshot: meta.json and one .npy per array

A snapshot is written into a hidden temporary directory, renamed into place
(atomic on one file system), and only then named in ``CURRENT`` (replaced
atomically), so a reader never sees half a snapshot. Old snapshots are pruned;
a process still mapping one keeps its pages until it lets go (POSIX unlink).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection

from matching.engine import People, Relation, RoleLibrary, SkillColumns, SpellTable, Workforce

logger = logging.getLogger(__name__)

FORMAT = 1
KEEP = 3  # snapshots kept (the newest and a couple a slow process may still map)
_SKILL_FIELDS = ("indptr", "rows", "level", "last_used", "evidence")
# Every attribute array of ``People`` (its dataclass fields), staff_rank included.
_PEOPLE_FIELDS = tuple(f.name for f in dataclasses.fields(People))
_SPELL_FIELDS = ("person", "role", "end", "start", "title")


def snapshot_root() -> Path | None:
    """Where snapshots live, or None when this deployment does not use them."""
    root = getattr(settings, "MUSTER_INDEX_DIR", None)
    return Path(root) if root else None


def _database_identity() -> dict:
    """What a snapshot must match to be used: the same database and schema."""
    db = settings.DATABASES["default"]
    return {"vendor": connection.vendor, "name": str(db.get("NAME", "")), "format": FORMAT}


def write(built, root: Path) -> Path:
    """Write ``built`` (an ``adapter._Built``) as the newest snapshot; returns its path."""
    index = built.index
    workforce = index.workforce
    root.mkdir(parents=True, exist_ok=True)
    # Sorted by name = by change id, then by when written (two writers never share one).
    name = f"{built.last_id:012d}-{time.time_ns():020d}-{uuid.uuid4().hex[:6]}"
    tmp = root / f".tmp-{name}"
    tmp.mkdir()
    arrays: dict[str, np.ndarray] = {
        "person_ids": index.person_ids,
        "skill_ids": index.skill_ids,
        "org_unit_ids": index.org_unit_ids,
    }
    for prefix, columns in (("skills", workforce.skills), ("drafts", workforce.drafts)):
        for field in _SKILL_FIELDS:
            arrays[f"{prefix}_{field}"] = getattr(columns, field)
    people = workforce.people
    for field in _PEOPLE_FIELDS:
        value = getattr(people, field)
        arrays[f"people_{field}"] = value.astype(str) if field == "staff_number" else value
    spells = workforce.roles.spells
    for field in _SPELL_FIELDS:
        arrays[f"spells_{field}"] = getattr(spells, field)
    relations = [
        (target, relation.source, relation.strength)
        for target, listed in workforce.relations.items()
        for relation in listed
    ]
    arrays["relations"] = np.array([(t, s) for t, s, _ in relations], dtype=np.int64).reshape(-1, 2)
    arrays["relation_strength"] = np.array([x for *_, x in relations], dtype=np.float64)
    levels = [
        (role, skill, level)
        for role, required in workforce.roles.levels.items()
        for skill, level in required.items()
    ]
    arrays["role_levels"] = np.array(levels, dtype=np.int64).reshape(-1, 3)
    arrays["roles_in_order"] = np.array(list(workforce.roles.levels), dtype=np.int64)
    arrays["role_index"] = np.array(list(index.role_index.items()), dtype=np.int64).reshape(-1, 2)
    for key, value in arrays.items():
        np.save(tmp / f"{key}.npy", np.ascontiguousarray(value), allow_pickle=False)
    meta = {
        **_database_identity(),
        "last_id": built.last_id,
        "gaps": sorted(built.gaps),
        "n_people": len(people),
        "drafts_people": workforce.drafts.n_people,
        "org_unit_paths": index.org_unit_paths,
        "locations": index.locations,
        "next_leaving": index.next_leaving,
        "titles": spells.titles,
        "built_in_seconds": index.built_in_seconds,
        "written_at": time.time(),
    }
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    final = root / name
    os.rename(tmp, final)
    pointer = root / f".CURRENT-{name}"
    pointer.write_text(name, encoding="utf-8")
    os.replace(pointer, root / "CURRENT")
    _prune(root, keep=name)
    return final


def _prune(root: Path, *, keep: str) -> None:
    names = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for name in names[:-KEEP]:
        if name != keep:
            shutil.rmtree(root / name, ignore_errors=True)


def newest(root: Path) -> tuple[str, dict] | None:
    """(name, meta) of the snapshot ``CURRENT`` names, or None."""
    try:
        name = (root / "CURRENT").read_text(encoding="utf-8").strip()
        meta = json.loads((root / name / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if any(meta.get(k) != v for k, v in _database_identity().items()):
        return None
    return name, meta


def load(root: Path, *, at_least: int = 0, max_id: int | None = None):
    """The newest snapshot as an ``adapter._Built`` with its arrays memory-mapped,
    or None when there is none usable: none written, another database's, older
    than change ``at_least``, or newer than the change feed (``max_id``: the
    database was reset or restored since it was written)."""
    from skills_app.index.adapter import WorkforceIndex, _Built

    found = newest(root)
    if found is None:
        return None
    name, meta = found
    if meta["last_id"] < at_least or (max_id is not None and meta["last_id"] > max_id):
        return None
    started = time.perf_counter()
    folder = root / name

    def array(key: str) -> np.ndarray:
        return np.load(folder / f"{key}.npy", mmap_mode="r", allow_pickle=False)

    n = meta["n_people"]
    skills = SkillColumns(n_people=n, **{f: array(f"skills_{f}") for f in _SKILL_FIELDS})
    drafts = SkillColumns(
        n_people=meta["drafts_people"], **{f: array(f"drafts_{f}") for f in _SKILL_FIELDS}
    )
    people = People.restored(**{f: array(f"people_{f}") for f in _PEOPLE_FIELDS})
    spells = SpellTable(**{f: array(f"spells_{f}") for f in _SPELL_FIELDS}, titles=meta["titles"])
    relations: dict[int, list[Relation]] = {}
    for (target, source), strength in zip(
        array("relations").tolist(), array("relation_strength").tolist(), strict=True
    ):
        relations.setdefault(target, []).append(Relation(source, strength))
    levels: dict[int, dict[int, int]] = {role: {} for role in array("roles_in_order").tolist()}
    for role, skill, level in array("role_levels").tolist():
        levels.setdefault(role, {})[skill] = level
    skill_ids = array("skill_ids")
    org_unit_ids = array("org_unit_ids")
    locations = meta["locations"]
    index = WorkforceIndex(
        workforce=Workforce(
            skills=skills,
            people=people,
            relations=relations,
            roles=RoleLibrary(levels=levels, spells=spells),
            drafts=drafts,
        ),
        person_ids=array("person_ids"),
        skill_ids=skill_ids,
        skill_column={int(pk): col for col, pk in enumerate(skill_ids.tolist())},
        role_index={int(k): int(v) for k, v in array("role_index").tolist()},
        org_unit_ids=org_unit_ids,
        org_unit_paths=list(meta["org_unit_paths"]),
        locations=list(locations),
        unit_index={int(pk): i for i, pk in enumerate(org_unit_ids.tolist())},
        location_code={name: code for code, name in enumerate(locations)},
        built_in_seconds=time.perf_counter() - started,
        next_leaving=meta["next_leaving"],
    )
    now = time.monotonic()
    logger.info("workforce index mapped from snapshot %s in %.3f s", name, index.built_in_seconds)
    return _Built(index, meta["last_id"], {int(pk): now for pk in meta["gaps"]}, snapshot=name)


# --- the writer (the task worker) ----------------------------------------------------

# Past this many changes since the newest snapshot, a new one saves every process
# from applying them all at start-up (and from a patch past adapter.PATCH_LIMIT).
CHANGES_PER_SNAPSHOT = 5_000


def snapshot_due(root: Path) -> str:
    """Why a new snapshot should be written now ("" when none is due): there is
    none, a bulk change came after it, many changes have, or a day someone leaves
    on has arrived."""
    from skills_app.index.adapter import _today
    from skills_app.people.models import ChangeScope, WorkforceChange

    found = newest(root)
    if found is None:
        return "no snapshot yet"
    _, meta = found
    changes = WorkforceChange.objects.filter(id__gt=meta["last_id"])
    if changes.filter(scope=ChangeScope.ALL).exists():
        return "a bulk change"
    if 0 < meta["next_leaving"] <= _today():
        return "a leaving day"
    newest_id = WorkforceChange.objects.order_by("-id").values_list("id", flat=True).first()
    if newest_id is not None and newest_id < meta["last_id"]:
        return "the change feed was reset"
    if changes.count() >= CHANGES_PER_SNAPSHOT:
        return "many changes"
    return ""


def write_if_due(*, force: bool = False) -> tuple[str, Path | None]:
    """Build from the database and write a snapshot when one is due (or ``force``).
    Returns (why, path); ("", None) when nothing was due or snapshots are off."""
    from skills_app.index.adapter import FreshIndex

    root = snapshot_root()
    if root is None:
        return "", None
    why = "asked" if force else snapshot_due(root)
    if not why:
        return "", None
    started = time.perf_counter()
    path = write(FreshIndex.build_from_database(), root)
    logger.info(
        "workforce index snapshot %s written (%s) in %.1f s",
        path.name,
        why,
        time.perf_counter() - started,
    )
    return why, path
