"""The streamed XLSX writer (skills_app.xlsx), read back with openpyxl: an
independent reader, so a part Excel needs but the writer got wrong shows up."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skills_app import xlsx
from skills_app.xlsx import XlsxStreamWriter, stream_xlsx

COLUMNS = ["name", "count", "when"]


def read(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def values(sheet) -> list[tuple]:
    return [tuple(c.value for c in row) for row in sheet.iter_rows()]


def test_round_trip_of_every_cell_type():
    rows = [
        ["Ada", 3, dt.date(2024, 5, 17)],
        ["Bo", 2.5, dt.datetime(2025, 1, 2, 15, 30)],
        ["Cy", Decimal("37.5"), None],
        [None, True, ""],
    ]
    book = read(b"".join(stream_xlsx(COLUMNS, rows, sheet_title="People")))
    sheet = book["People"]
    got = values(sheet)
    assert got[0] == ("name", "count", "when")
    assert got[1] == ("Ada", 3, dt.datetime(2024, 5, 17))
    assert got[2] == ("Bo", 2.5, dt.datetime(2025, 1, 2))  # a date cell: the time is dropped
    assert got[3] == ("Cy", 37.5, None)
    assert got[4] == (None, True, None)
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet["C2"].is_date and sheet.freeze_panes == "A2"


def test_text_that_looks_like_a_formula_or_markup_stays_text():
    tricky = ["=SUM(A1:A2)", '\'=HYPERLINK("x")', "<b>&amp;</b>", "  padded  ", "a\rb\nc\td"]
    tricky += ["_x0041_ literal", "emoji 😀 漢字", "https://example.org/x"]
    sheet = read(b"".join(stream_xlsx(["text"], [[t] for t in tricky], sheet_title="T"))).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == tricky
    assert {c.data_type for c in cells} == {"s"}
    assert not any(c.hyperlink for c in cells)


def test_characters_xml_cannot_carry_are_replaced_not_fatal():
    data = b"".join(stream_xlsx(["text"], [["bell\x07 and nul\x00"]], sheet_title="T"))
    assert read(data).active["A2"].value == "bell\ufffd and nul\ufffd"


def test_unsupported_values_are_refused():
    with pytest.raises(TypeError, match="object"):
        b"".join(stream_xlsx(["x"], [[object()]], sheet_title="T"))


def test_long_exports_continue_on_further_sheets_with_the_header():
    rows = [[f"r{n}", n, None] for n in range(7)]
    book = read(b"".join(stream_xlsx(COLUMNS, rows, sheet_title="Inventory", max_rows_per_sheet=3)))
    assert book.sheetnames == ["Inventory", "Inventory 2", "Inventory 3"]
    bodies = []
    for sheet in book.worksheets:
        got = values(sheet)
        assert got[0] == ("name", "count", "when")
        bodies += [row[1] for row in got[1:]]
    assert bodies == list(range(7))
    assert [len(values(s)) for s in book.worksheets] == [4, 4, 2]


def test_an_empty_export_is_a_header_only_workbook():
    sheet = read(b"".join(stream_xlsx(COLUMNS, [], sheet_title="Empty"))).active
    assert values(sheet) == [("name", "count", "when")]


def test_beyond_the_shared_string_cap_text_is_written_inline(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_SHARED_STRINGS", 3)
    rows = [[f"name {n}"] for n in range(10)] + [["name 1"]]
    data = b"".join(stream_xlsx(["name"], rows, sheet_title="T"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
        shared_xml = archive.read("xl/sharedStrings.xml").decode()
    assert shared_xml.count("<si>") == 3  # the header and the first two names
    assert sheet_xml.count('t="inlineStr"') == 8
    sheet = read(data).active
    assert [r[0] for r in values(sheet)[1:]] == [f"name {n}" for n in range(10)] + ["name 1"]


def test_bytes_leave_before_the_rows_run_out(monkeypatch):
    """Streamed, not built whole: the first chunk is out while most rows are
    still unread (which is what keeps memory flat and lets a browser show progress)."""
    monkeypatch.setattr(xlsx, "CHUNK_BYTES", 4096)
    consumed = 0

    def rows():
        nonlocal consumed
        for n in range(20_000):
            consumed += 1
            yield [f"person {n}", n, None]

    chunks = stream_xlsx(COLUMNS, rows(), sheet_title="T")
    first = next(chunks)
    assert first.startswith(b"PK") and consumed < 20_000 // 2
    data = first + b"".join(chunks)
    assert consumed == 20_000
    assert values(read(data).active)[-1] == ("person 19999", 19999, None)


def test_writes_to_a_sink_that_cannot_seek():
    class Sink:
        def __init__(self):
            self.data = bytearray()

        def write(self, chunk):
            self.data += chunk
            return len(chunk)

        def flush(self):
            """zipfile flushes its output; a bytearray has nothing to flush."""

    sink = Sink()
    writer = XlsxStreamWriter(sink, columns=["a"], sheet_title="Sheet [1]: a/b")
    writer.append(["x"])
    writer.close()
    with zipfile.ZipFile(io.BytesIO(bytes(sink.data))) as archive:
        assert archive.testzip() is None
    assert read(bytes(sink.data)).sheetnames == ["Sheet  1   a b"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"])), max_size=5))
def test_any_text_comes_back_as_the_same_text(texts):
    """Every string the writer takes comes back unchanged, as a string cell,
    except characters XML 1.0 forbids, which come back as U+FFFD."""
    data = b"".join(stream_xlsx(["t"], [[t] for t in texts], sheet_title="T"))
    cells = [row[0] for row in read(data).active.iter_rows(min_row=2)]
    expected = [xlsx._ILLEGAL_XML.sub("\ufffd", t) or None for t in texts]
    assert [c.value for c in cells] == expected
    assert all(c.data_type == "s" for c in cells if c.value is not None)
