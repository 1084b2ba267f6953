"""Label loaders shared by the normaliser benchmark and evaluation scripts.

``load_esco_labels`` reads ESCO v1.1.1 ``skills_en.csv``: the full copy in
``/work/shared/data/esco-v1.1.1/`` when that folder exists, else the
xz-compressed copy shipped in ``data/esco/``. ``load_ddat_labels`` reads the
DDaT framework's ``skills.csv`` (Muster's default taxonomy). Both return plain
``(skill_id, label, is_preferred, uri)`` tuples with synthetic integer ids, so
the scripts need neither Django nor a database.
"""

from __future__ import annotations

import csv
import io
import lzma
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_ESCO = Path("/work/shared/data/esco-v1.1.1/skills_en.csv")
SHIPPED_ESCO = ROOT / "data" / "esco" / "skills_en.csv.xz"
DDAT_SKILLS = ROOT / "data" / "ddat" / "skills.csv"

# DDaT skills get ids above every ESCO id so the two never collide.
DDAT_ID_OFFSET = 1_000_000

LabelRow = tuple[int, str, bool, str]


def default_esco_path() -> Path:
    return SHARED_ESCO if SHARED_ESCO.exists() else SHIPPED_ESCO


def _open_text(path: Path) -> io.TextIOBase:
    # utf-8-sig drops a byte-order mark if the file has one.
    if path.suffix == ".xz":
        return lzma.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115


def _split_labels(cell: str | None) -> list[str]:
    """ESCO packs several labels into one quoted cell, one per line."""
    return [part.strip() for part in (cell or "").splitlines() if part.strip()]


def load_esco_labels(
    path: str | Path | None = None, *, include_hidden: bool = False
) -> list[LabelRow]:
    """Every preferred and alternative label of every ESCO skill.

    Skill ids are 1-based row numbers of ``skills_en.csv`` (stable for a given
    file). A label repeated within one skill (ESCO sometimes lists the
    preferred label among the alternatives too) appears once, as preferred if
    it is the preferred label. ``include_hidden`` adds ESCO's hidden labels
    (search terms and common misspellings) as aliases; the scripts leave them
    out so the measured misspelling recall is the normaliser's own.
    """
    path = Path(path) if path else default_esco_path()
    rows: list[LabelRow] = []
    with _open_text(path) as handle:
        for skill_id, record in enumerate(csv.DictReader(handle), start=1):
            uri = record["conceptUri"].strip()
            preferred = record["preferredLabel"].strip()
            seen = {preferred}
            rows.append((skill_id, preferred, True, uri))
            others = _split_labels(record.get("altLabels"))
            if include_hidden:
                others += _split_labels(record.get("hiddenLabels"))
            for label in others:
                if label not in seen:
                    seen.add(label)
                    rows.append((skill_id, label, False, uri))
    return rows


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def load_ddat_labels(path: str | Path | None = None) -> list[LabelRow]:
    """The DDaT skills as preferred labels (no aliases), ids from ``DDAT_ID_OFFSET``."""
    path = Path(path) if path else DDAT_SKILLS
    rows: list[LabelRow] = []
    with _open_text(path) as handle:
        for number, record in enumerate(csv.DictReader(handle), start=1):
            name = record["Skill Name"].strip()
            if name:
                uri = f"urn:muster:ddat:skill:{_slug(name)}"
                rows.append((DDAT_ID_OFFSET + number, name, True, uri))
    return rows


def load_all_labels(esco_path: str | Path | None = None) -> list[LabelRow]:
    """ESCO plus DDaT: the label set the scripts build their index over."""
    return load_esco_labels(esco_path) + load_ddat_labels()
