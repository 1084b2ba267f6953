"""Long report tables, one way on every report page: paged, sorted by any column
(the GOV.UK sortable-table pattern without JavaScript: each column heading is a
link and the sorted column carries ``aria-sort``), filtered by unit, and skipping
units smaller than a size the reader sets, so one-person units do not head a list.

The options come from the query string (``TableOptions.read``); a page's links keep
every other option, change one, and go back to the first page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.http import QueryDict

PER_PAGE = 50
DEFAULT_MIN_PEOPLE = 5
MAX_FILTER = 200


@dataclass(frozen=True)
class SortColumn:
    key: str  # the ``sort`` value in links
    label: str
    value: Callable  # row -> what it sorts by
    numeric: bool = False
    descending_first: bool = False  # counts: the largest first on the first click


@dataclass(frozen=True)
class TableOptions:
    sort: str  # "" for the report's own order
    descending: bool
    unit: str  # part of a unit's path, any case ("" for every unit)
    min_people: int
    min_people_chosen: bool = False  # False: the default, which gives way when nothing passes

    @classmethod
    def read(cls, params, *, columns: Sequence[SortColumn], min_people=DEFAULT_MIN_PEOPLE):
        default = min_people
        sort = params.get("sort", "")
        if sort not in {c.key for c in columns}:
            sort = ""
        raw_min = (params.get("min_people") or "").strip()
        if raw_min.isdigit():
            min_people = min(int(raw_min), 1_000_000)
        elif "min_people" in params:  # an empty or unreadable box: every unit
            min_people = 0 if not raw_min else min_people
        unit = " ".join((params.get("unit") or "").split())[:MAX_FILTER]
        return cls(
            sort=sort,
            descending=params.get("dir") == "desc",
            unit=unit,
            min_people=min_people,
            # The form sends the default back: only another size is the reader's choice.
            min_people_chosen=min_people != default,
        )


def keep_rows(rows: list, options: TableOptions, *, unit=lambda r: r.unit, people=None):
    """(rows kept, how many were too small): rows whose unit path holds
    ``options.unit`` (any case) and, when ``people`` is given, with at least
    ``options.min_people`` people. The default size gives way when no unit
    reaches it (a small team's report lists its units rather than nothing)."""
    wanted = options.unit.casefold()
    matched = [r for r in rows if wanted in unit(r).casefold()] if wanted else list(rows)
    if people is None or options.min_people <= 1:
        return matched, 0
    kept = [r for r in matched if people(r) >= options.min_people]
    if not kept and not options.min_people_chosen:
        return matched, 0
    return kept, len(matched) - len(kept)


def sort_rows(rows: list, columns: Sequence[SortColumn], options: TableOptions) -> list:
    """``rows`` sorted by the chosen column (stable: ties keep the report's order);
    the report's own order when none is chosen."""
    column = next((c for c in columns if c.key == options.sort), None)
    if column is None:
        return list(rows)
    return sorted(rows, key=column.value, reverse=options.descending)


def headers(params: QueryDict, columns: Sequence[SortColumn], options: TableOptions) -> list:
    """One heading per column: its label, the link that sorts by it (ascending, or
    the other way when it is already sorted so) and its ``aria-sort``."""
    out = []
    for column in columns:
        current = options.sort == column.key
        if current:
            descending = not options.descending
            aria = "descending" if options.descending else "ascending"
        else:
            descending, aria = column.descending_first, "none"
        query = params.copy()
        query.pop("page", None)
        query["sort"], query["dir"] = column.key, "desc" if descending else "asc"
        out.append(
            {
                "key": column.key,
                "label": column.label,
                "numeric": column.numeric,
                "aria_sort": aria,
                "href": "?" + query.urlencode(),
            }
        )
    return out


def page_of(rows: Sequence, params) -> Page:
    return Paginator(rows, PER_PAGE).get_page(params.get("page"))
