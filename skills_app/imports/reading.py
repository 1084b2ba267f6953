"""Reading an uploaded file: what it is, whether it is UTF-8, its header, its rows.

``open_table(content, spec)`` recognises CSV or XLSX by content (not by file name),
checks the header against the kind's columns and returns a ``Table`` whose ``rows()``
streams ``(row_number, cells)`` with row numbers as a spreadsheet shows them (the
header is row 1; blank rows are skipped but still counted). Anything wrong with the
file as a whole raises ``FileProblem`` with a message for the person who uploaded it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from openpyxl.utils import get_column_letter

from skills_app.imports.errors import FileProblem
from skills_app.imports.kinds import KindSpec, normalise_header

# Limits: each breach is a FileProblem with a message saying what to do. They bound
# what a file can cost the worker (time and memory) whatever it declares about itself.
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ROWS = 5_000_000
MAX_COLUMNS = 50  # cells in any row, blank ones included (an XLSX row's trailing empty cells not)
MAX_CELL_CHARS = 32_767  # Excel's own limit for a cell
# A CSV line (so a row's cells can never be more than a line's characters).
MAX_LINE_CHARS = MAX_COLUMNS * (MAX_CELL_CHARS + 3)
# XLSX, a zip of XML parts: sizes as the zip's directory declares them. Python's
# zipfile never inflates a part past its declared size (a part holding more fails its
# CRC check and the workbook is "damaged"), so the declared sizes bound the real ones.
MAX_XLSX_PARTS = 1_000
MAX_XLSX_DIRECTORY_BYTES = 1024 * 1024
MAX_XLSX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024  # all parts together
# A part over 1 MB that inflates more than 100 times is a zip bomb (Apache POI's rule);
# real workbooks inflate 5 to 20 times.
MAX_XLSX_RATIO = 100
XLSX_RATIO_FLOOR = 1024 * 1024
MAX_XLSX_ROW_CELLS = 16_384  # Excel's columns: a sheet row can hold no more cells
MAX_SHARED_STRINGS = 4_000_000  # openpyxl holds them all in memory
MAX_SHARED_STRINGS_BYTES = 256 * 1024 * 1024
_CHUNK = 1 << 20

# (magic bytes, what it is)
_NOT_TABULAR = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 (.xls) workbook or another old Office file"),
    (b"{\\rtf", "a Rich Text document"),
    (b"\x1f\x8b", "a gzip archive"),
]
SAVE_AS = "Save it as CSV UTF-8 or as an Excel workbook (.xlsx) and upload it again."


@dataclass
class Table:
    format: str  # "csv" | "xlsx"
    columns: dict[str, int]  # column name -> index in a row's cells
    width: int  # cells in the header row, blank header cells included
    estimated_rows: int  # data rows, roughly (for progress before the count is known)
    header_row: int
    _rows: Callable[[], Iterator[tuple[int, list]]]
    # True when some cell may be an UnsavedFormula (an XLSX sheet with formulas)
    has_formulas: bool = False

    def rows(self) -> Iterator[tuple[int, list]]:
        return self._rows()


@dataclass(frozen=True, slots=True)
class UnsavedFormula:
    """An XLSX cell holding a formula whose value was never saved (openpyxl writes such
    files, and so do some exporters): its value cannot be known without calculating
    it, so the row is refused rather than read as blank."""

    coordinate: str  # as the spreadsheet shows it, e.g. "D7"

    def __str__(self) -> str:  # a header cell, say: reads as blank
        return ""

    @property
    def message(self) -> str:
        return (
            f"Cell {self.coordinate} holds a formula with no saved value: open the file in a "
            "spreadsheet program and save it, or paste the values in place of the formulas"
        )


def describe_size(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise FileProblem(
            f"The file is {describe_size(size)}: it must be smaller than "
            f"{describe_size(MAX_FILE_BYTES)}. Split it into smaller files.",
            status=413,
        )


def sniff(content: bytes) -> str:
    """'csv' or 'xlsx', or FileProblem."""
    check_size(len(content))
    body = content[3:] if content.startswith(codecs.BOM_UTF8) else content
    if not body.strip():
        raise FileProblem("The file is empty.")
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    for magic, what in _NOT_TABULAR:
        if content.startswith(magic):
            raise FileProblem(f"The file is {what}, not a CSV or XLSX file. {SAVE_AS}")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileProblem(
            "The file is in UTF-16 (Excel's “Unicode Text”): it must be UTF-8. " + SAVE_AS
        )
    if b"\x00" in content[:8192]:
        raise FileProblem(f"The file is not a CSV or XLSX file (it holds binary data). {SAVE_AS}")
    nul = content.find(b"\x00")
    if nul >= 0:
        line = content.count(b"\n", 0, nul) + 1
        raise FileProblem(
            f"Line {line} holds a NUL character (a zero byte), which a CSV file cannot "
            f"hold: the file may be damaged. Remove it, or {SAVE_AS[0].lower()}{SAVE_AS[1:]}"
        )
    return "csv"


def check_utf8(content: bytes) -> None:
    """Decode the whole file in chunks, so a bad byte on the last row is found before
    any row is checked, without holding a second copy of a large file."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    total = len(content)
    for start in range(0, total, _CHUNK):
        end = min(start + _CHUNK, total)
        try:
            decoder.decode(content[start:end], final=end == total)
        except UnicodeDecodeError as exc:
            offset = max(0, start + exc.start - 3)
            line = content.count(b"\n", 0, offset) + 1
            raise FileProblem(
                f"The file must be UTF-8, but line {line} has a character that is not "
                "UTF-8 (for example £ or é saved by Excel's “CSV (Comma delimited)”, "
                "which uses Windows-1252). " + SAVE_AS
            ) from None


def _header(cells, spec: KindSpec) -> tuple[dict[str, int], int]:
    names = [normalise_header(c) for c in cells]
    columns: dict[str, int] = {}
    duplicates = []
    for index, name in enumerate(names):
        if not name:
            continue
        if name in columns:
            duplicates.append(name)
        columns[name] = index
    expected = spec.names
    missing = [n for n in spec.required if n not in columns]
    unexpected = [n for n in columns if n not in expected]
    if len(columns) == 1 and len(cells) == 1 and (";" in str(cells[0]) or "\t" in str(cells[0])):
        raise FileProblem(
            "The columns must be separated by commas: this file seems to use "
            f"{'semicolons' if ';' in str(cells[0]) else 'tabs'}. " + SAVE_AS
        )
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if unexpected:
        problems.append("not expected " + ", ".join(sorted(unexpected)[:20]))
    if duplicates:
        problems.append("repeated " + ", ".join(sorted(set(duplicates))))
    if problems:
        raise FileProblem(
            f"The header row (row 1) does not match a {spec.label.lower()} file: "
            + "; ".join(problems)
            + ". The columns are "
            + ", ".join(expected)
            + (
                " (" + ", ".join(n for n in expected if n not in spec.required) + " optional)"
                if len(spec.required) < len(expected)
                else ""
            )
            + "."
        )
    return columns, len(names)


def _blank(cells) -> bool:
    return all(c is None or c == "" or (isinstance(c, str) and not c.strip()) for c in cells)


def _too_wide(number: int, width: int) -> FileProblem:
    return FileProblem(
        f"Row {number} has {width:,} columns: a row may have at most {MAX_COLUMNS}. Delete "
        "the empty or extra columns to the right of your data and upload the file again."
    )


def _check_cells(number: int, cells: list) -> None:
    """Width and cell length of one row, raising FileProblem."""
    if len(cells) > MAX_COLUMNS:
        raise _too_wide(number, len(cells))
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
            raise FileProblem(
                f"Cell {get_column_letter(index + 1)}{number} has {len(cell):,} characters: a "
                f"cell may hold at most {MAX_CELL_CHARS:,}. Shorten it and upload the file again."
            )


def _lines(stream) -> Iterator[str]:
    """The CSV's lines, refusing one too long to be a row: the csv module would
    otherwise build a list of a million cells from a line of a million commas."""
    number = 0
    while line := stream.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise FileProblem(
                f"Line {number} is longer than {MAX_LINE_CHARS:,} characters, so it cannot "
                f"be a row of at most {MAX_COLUMNS} columns of at most {MAX_CELL_CHARS:,} "
                "characters. Delete the empty or extra columns to the right of your data."
            )
        yield line


def _csv_table(content: bytes, spec: KindSpec) -> Table:
    check_utf8(content)

    def records() -> Iterator[tuple[int, list]]:
        stream = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
        reader = csv.reader(_lines(stream))
        number = 0
        try:
            for cells in reader:
                number += 1
                if number > MAX_ROWS + 1:
                    raise FileProblem(f"The file has more than {MAX_ROWS:,} rows. Split it up.")
                _check_cells(number, cells)
                yield number, cells
        except csv.Error as exc:
            if "field limit" in str(exc):  # a quoted cell running over many lines
                raise FileProblem(
                    f"Row {number + 1} has a cell longer than {MAX_CELL_CHARS:,} characters, "
                    "or a quote that is never closed. Check its quotes."
                ) from None
            raise FileProblem(
                f"Row {number + 1} could not be read as CSV ({exc}). Check its quotes."
            ) from None

    header_row, header, rows = _split_header(records())
    columns, width = _header(header, spec)
    estimated = max(0, content.count(b"\n") - header_row + (0 if content.endswith(b"\n") else 1))
    return Table("csv", columns, width, estimated, header_row, lambda: _data(rows))


def _cell(value):
    """XLSX cell values as the parsers expect them: text, or a date."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, date):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _xlsx_table(content: bytes, spec: KindSpec) -> Table:
    import openpyxl

    _check_zip_directory(content)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise FileProblem(f"The file is a damaged ZIP or XLSX file. {SAVE_AS}") from None
    names = {part.filename for part in parts}
    if "xl/workbook.xml" not in names:
        what = "a Word document" if "word/document.xml" in names else "a ZIP archive"
        raise FileProblem(f"The file is {what}, not a CSV or XLSX file. {SAVE_AS}")
    _check_zip_sizes(parts)
    _check_shared_strings(content, parts)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        estimated = max(0, (sheet.max_row or 0) - 1)
        # Dimensions written by some tools are wrong; read every row there is.
        sheet.reset_dimensions()
    except Exception:  # openpyxl raises many types for damaged workbooks
        raise FileProblem(f"The workbook could not be opened. {SAVE_AS}") from None

    # openpyxl's data_only mode reads a formula's saved value, and None both for an empty
    # cell and for a formula that was never calculated; only the sheet's XML tells them
    # apart, so it is scanned too, but only when it has a formula at all.
    sheet_path = getattr(sheet, "_worksheet_path", None)
    unsaved = None
    if sheet_path and _scan_sheet(content, sheet_path):
        unsaved = _unsaved_formulas(content, sheet_path)

    read: set[int] = set()  # the columns imported, once the header is known

    def records() -> Iterator[tuple[int, list]]:
        pending = next(unsaved, None) if unsaved is not None else None
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > MAX_ROWS + 1:
                    raise FileProblem(f"The file has more than {MAX_ROWS:,} rows. Split it up.")
                width = len(values)
                while width and values[width - 1] is None:
                    width -= 1  # empty cells (formatting, say) on the right are not columns
                if width > MAX_COLUMNS:
                    raise _too_wide(number, width)
                cells = [_cell(v) for v in values[:width]]
                _check_cells(number, cells)
                while pending is not None and pending[0] < number:
                    pending = next(unsaved, None)
                if pending is not None and pending[0] == number:
                    for column in pending[1]:
                        if read and column not in read:
                            continue  # a helper column with no header is not read
                        if column >= len(cells):
                            cells.extend([""] * (column + 1 - len(cells)))
                        if cells[column] == "":
                            where = f"{get_column_letter(column + 1)}{number}"
                            cells[column] = UnsavedFormula(where)
                yield number, cells
        except FileProblem:
            raise
        except Exception:
            raise FileProblem(f"The workbook could not be read to the end. {SAVE_AS}") from None
        finally:
            workbook.close()

    header_row, header, rows = _split_header(records())
    columns, width = _header(header, spec)
    read.update(columns.values())
    return Table(
        "xlsx", columns, width, estimated, header_row, lambda: _data(rows), unsaved is not None
    )


_BOMB = (
    "The workbook expands to far more data than a spreadsheet of at most "
    f"{MAX_ROWS:,} rows and {MAX_COLUMNS} columns can hold, so it was not opened. {SAVE_AS}"
)


def _check_zip_directory(content: bytes) -> None:
    """The zip's directory, from its end record, before zipfile reads it: a directory
    of millions of entries would cost seconds and gigabytes just to list."""
    tail = content[-(65535 + 22) :]
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise FileProblem(f"The file is a damaged ZIP or XLSX file. {SAVE_AS}")
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries > MAX_XLSX_PARTS or directory_bytes > MAX_XLSX_DIRECTORY_BYTES:
        # (0xFFFF and 0xFFFFFFFF, which ZIP64 files use, are over the limits too.)
        raise FileProblem(
            f"The workbook has too many parts (at most {MAX_XLSX_PARTS:,}), so it was not "
            f"opened. {SAVE_AS}"
        )


def _check_zip_sizes(parts) -> None:
    total = 0
    for part in parts:
        total += part.file_size
        if total > MAX_XLSX_UNCOMPRESSED_BYTES:
            raise FileProblem(_BOMB)
        if part.file_size > XLSX_RATIO_FLOOR and part.file_size > MAX_XLSX_RATIO * max(
            part.compress_size, 1
        ):
            raise FileProblem(_BOMB)


def _shared_strings_part(content: bytes, parts):
    """The part openpyxl will read as the shared strings: found, as openpyxl finds it,
    by its content type, whatever its name."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    by_name = {part.filename: part for part in parts}
    types = by_name.get(ARC_CONTENT_TYPES)
    if types is None or types.file_size > XLSX_RATIO_FLOOR:
        return None  # openpyxl refuses a workbook without (sane) content types anyway
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            manifest = Manifest.from_tree(fromstring(archive.read(types)))
        found = manifest.find(SHARED_STRINGS)
    except Exception:  # damaged: openpyxl will say so when it opens the workbook
        return None
    return by_name.get(found.PartName.lstrip("/")) if found is not None else None


_SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")


def _check_shared_strings(content: bytes, parts) -> None:
    """openpyxl reads every shared string into memory before the first row: count
    them first, streamed (never all in memory), and refuse too many or too much."""
    part = _shared_strings_part(content, parts)
    if part is None:
        return
    too_many = FileProblem(
        f"The workbook holds more than {MAX_SHARED_STRINGS:,} different texts (or more than "
        f"{describe_size(MAX_SHARED_STRINGS_BYTES)} of them), so it was not opened. Split "
        "it into smaller files."
    )
    if part.file_size > MAX_SHARED_STRINGS_BYTES:
        raise too_many
    count = 0
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive, archive.open(part) as stream:
            while chunk := stream.read(_CHUNK):
                # (A tag split between two chunks is missed: at most one a megabyte.)
                count += len(_SHARED_STRING_TAG.findall(chunk))
                if count > MAX_SHARED_STRINGS:
                    raise too_many
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, zlib.error):
        raise FileProblem(f"The file is a damaged ZIP or XLSX file. {SAVE_AS}") from None


_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")


def _scan_sheet(content: bytes, path: str) -> bool:
    """One streamed pass over the sheet's XML (never all in memory), before openpyxl
    reads it: refuse a row of more cells than Excel has columns (openpyxl holds a whole
    row's cells in memory, so one row of millions of cells would exhaust it), and say
    whether the sheet has a formula element. (A tag split between two chunks is missed:
    at most one a megabyte, which no limit here depends on.)"""
    formulas = False
    row, cells = 0, 0
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive, archive.open(path) as stream:
            tail = b""
            while chunk := stream.read(_CHUNK):
                if not formulas and _FORMULA_TAG.search(tail + chunk):
                    formulas = True
                tail = chunk[-16:]
                for index, piece in enumerate(_ROW_TAG.split(chunk)):
                    if index:  # a new row starts
                        row, cells = row + 1, 0
                    cells += len(_CELL_TAG.findall(piece))
                    if cells > MAX_XLSX_ROW_CELLS:
                        raise FileProblem(
                            f"Row {max(row, 1):,} of the sheet has more than "
                            f"{MAX_XLSX_ROW_CELLS:,} cells, more than a spreadsheet has "
                            f"columns, so the workbook was not read. {SAVE_AS}"
                        )
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error):
        raise FileProblem(f"The file is a damaged ZIP or XLSX file. {SAVE_AS}") from None
    return formulas


def _unsaved_formulas(content: bytes, path: str) -> Iterator[tuple[int, list[int]]]:
    """(row number, [0-based column indexes]) of each row with a formula cell that has
    no saved value, in row order, streamed from the sheet's XML."""
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.xml.functions import iterparse  # defusedxml's, when installed

    archive = zipfile.ZipFile(io.BytesIO(content))
    stream = archive.open(path)
    try:
        row_number = 0
        column = 0
        found: list[int] = []
        rows_parent = None
        for event, element in iterparse(stream, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "start":
                if tag == "sheetData":
                    rows_parent = element
                elif tag == "row":
                    row_number = int(element.get("r") or row_number + 1)
                    column = 0
                    found = []
                continue
            if tag == "c":
                reference = element.get("r")
                if reference:
                    row_number, column = coordinate_to_tuple(reference)
                else:
                    column += 1
                # A saved value is a non-empty <v>, an empty one on a text result
                # (t="str": the formula gave ""), or an inline string. openpyxl writes
                # formulas with an empty <v/> and no type: nothing saved.
                has_formula = has_value = False
                for child in element:
                    name = child.tag.rpartition("}")[2]
                    if name == "f":
                        has_formula = True
                    elif name == "v":
                        has_value = bool(child.text) or element.get("t") == "str"
                    elif name == "is":
                        has_value = True
                if has_formula and not has_value:
                    found.append(column - 1)
                element.clear()
            elif tag == "row":
                if found:
                    yield row_number, found
                if rows_parent is not None:
                    rows_parent.clear()  # keep no finished rows in memory
    finally:
        stream.close()
        archive.close()


def _split_header(records: Iterator[tuple[int, list]]):
    for number, cells in records:
        if not _blank(cells):
            return number, cells, records
    raise FileProblem("The file is empty.")


def _data(rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    for number, cells in rows:
        if not cells:
            continue
        first = cells[0]
        # Fast path: a non-blank first cell (nearly every row); else look at them all.
        if (first.strip() if isinstance(first, str) else first is not None) or not _blank(cells):
            yield number, cells


def open_table(content: bytes, spec: KindSpec) -> Table:
    if sniff(content) == "xlsx":
        return _xlsx_table(content, spec)
    return _csv_table(content, spec)
