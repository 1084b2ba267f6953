"""What every import kind shares: the row loop, progress, counts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import date

from django.utils import timezone

from skills_app.core.staging import Counts
from skills_app.imports.errors import ErrorList, FileProblem
from skills_app.imports.kinds import KindSpec
from skills_app.imports.reading import Table, UnsavedFormula

PROGRESS_EVERY = 5000  # rows between progress writes


class Progress:
    """Reports (phase, processed, total) to a sink at most every ``every`` rows.
    The sink decides where it goes (an ImportJob row, or nowhere)."""

    def __init__(self, sink: Callable[[str, int, int], None] | None = None, every=None):
        self.sink = sink
        self.every = every or PROGRESS_EVERY
        self.phase = ""
        self.total = 0
        self.done = 0
        self._next = every

    def begin(self, phase: str, total: int = 0) -> None:
        self.phase, self.total, self.done, self._next = phase, total, 0, self.every
        self._emit()

    def advance(self, rows: int = 1) -> None:
        self.done += rows
        if self.done >= self._next:
            self._next = self.done + self.every
            if self.total and self.done > self.total:
                self.total = self.done
            self._emit()

    def _emit(self) -> None:
        if self.sink is not None:
            self.sink(self.phase, self.done, self.total)


class Importer(ABC):
    """Subclasses set ``spec`` and implement ``check(number, cell)``, ``finish()`` (the
    checks that need every row: duplicates, managers, cycles) and ``write(dry_run)``."""

    spec: KindSpec

    def __init__(
        self,
        *,
        table: Table,
        user=None,
        progress: Progress | None = None,
        today=None,
        job_id=None,
    ):
        self.table = table
        self.user = user
        # What each changed person's audit row says did it (never the file's contents).
        self.audit_source = {"via": "import", "kind": self.spec.kind}
        if job_id is not None:
            self.audit_source["import_job"] = str(job_id)
        self.progress = progress or Progress()
        self.today: date = today or timezone.localdate()
        self.errors = ErrorList()
        self.rows = 0
        self.col: dict[str, int | None] = {
            name: table.columns.get(name) for name in self.spec.names
        }

    def validate(self) -> None:
        width = self.table.width
        self.progress.begin("validating", self.table.estimated_rows)
        advance = self.progress.advance
        check = self.check
        errors = self.errors
        formulas = self.table.has_formulas
        resolver = getattr(self, "resolver", None)  # kinds with a skill column
        for number, cells in self.table.rows():
            self.rows += 1
            if resolver is not None:
                resolver.row = number
            extra = len(cells) - width
            if extra < 0:
                cells = cells + [""] * -extra
            elif extra > 0 and any(str(c).strip() for c in cells[width:]):
                errors.add(
                    number,
                    None,
                    f"This row has {len(cells)} cells but the header has {width} columns: "
                    "check for a comma inside a value that is not in quotes",
                )
                advance()
                continue
            if formulas:
                self._check_with_formulas(number, cells)
            else:
                check(number, cells)
            advance()
        if not self.rows:
            raise FileProblem("The file has a header row but no rows of data.")
        self.progress.total = self.rows
        self.finish()

    def _check_with_formulas(self, number: int, cells: list) -> None:
        """A row of a sheet with formulas: a formula cell with no saved value is a row
        error naming the cell. The row's other cells are still checked (so the errors
        of the rest of the file stay right), but not that cell again."""
        names = {index: name for name, index in self.table.columns.items()}
        unsaved = {i: c for i, c in enumerate(cells) if isinstance(c, UnsavedFormula)}
        cells = ["" if isinstance(c, UnsavedFormula) else c for c in cells]
        if not unsaved:
            self.check(number, cells)
            return
        errors = self.errors
        for index, cell in unsaved.items():
            errors.add(number, names.get(index), cell.message)
        skip = {names.get(index) for index in unsaved}
        row_errors = ErrorList()
        self.errors = row_errors
        try:
            self.check(number, cells)
        finally:
            self.errors = errors
        for error in row_errors.items:
            if error.row != number or error.column not in skip:
                errors.add(error.row, error.column, error.message, error.suggestions)

    @abstractmethod
    def check(self, number: int, cells: list) -> None:
        """Check one data row (``number`` as the file counts it) and keep what it says."""

    def finish(self) -> None:  # noqa: B027  (an optional hook, not an abstract one)
        """Checks that need every row, e.g. managers named later in the file."""

    def matched_skills(self) -> list[dict]:
        """Skill labels matched by a misspelling or another word order (for HR to
        check): ``[{row, rows, row_count, given, skill: {id, name}}]``."""
        resolver = getattr(self, "resolver", None)
        return resolver.matched_skills() if resolver is not None else []

    @abstractmethod
    def write(self, *, dry_run: bool) -> Counts:
        """Write the checked rows; called only when no row has an error."""
