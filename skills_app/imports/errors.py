"""Row errors, collected with a cap so a garbage file cannot produce a huge answer."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_ERRORS = 1000  # errors listed in a result; error_count keeps counting past it


@dataclass(frozen=True, slots=True)
class RowError:
    row: int | None  # as the spreadsheet shows it: the header is row 1; None for the file
    column: str | None
    message: str
    suggestions: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "suggestions": list(self.suggestions),
        }


@dataclass
class ErrorList:
    limit: int = MAX_ERRORS
    items: list[RowError] = field(default_factory=list)
    count: int = 0

    def add(self, row: int | None, column: str | None, message: str, suggestions=()) -> None:
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append(RowError(row, column, message, tuple(suggestions)))

    def __bool__(self) -> bool:
        return self.count > 0

    @property
    def full(self) -> bool:
        return len(self.items) >= self.limit

    def sorted_dicts(self) -> list[dict]:
        """In row order (file-level errors first); stable within a row."""
        ordered = sorted(self.items, key=lambda e: -1 if e.row is None else e.row)
        return [e.as_dict() for e in ordered]


class FileProblem(Exception):
    """The file as a whole cannot be imported (wrong type, encoding, header, size)."""

    def __init__(self, message: str, *, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


class ImportConflict(Exception):
    """Something the checks relied on changed before the write (a skill merged, a person
    deleted, a unit created by someone else): nothing was written; try again."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message or (
            "Muster's data changed while the file was being imported, so nothing was "
            "imported. Upload the file again."
        )
