"""Hostile uploads (issue 13): the upload request only stores the file and queues it,
never opening it; the worker refuses each file over a limit with a clear message and
writes nothing but the rejected job (with no file) and its audit row.

The files are built here: an XLSX declaring ``A1:E2`` but holding more rows, a CSV
header with a million blank columns, a shared-strings bomb, zip bombs, a zip whose
directory under-declares a part, a CSV with a NUL after its first 8 KB.
"""

import io
import re
import struct
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.imports import reading, service
from skills_app.imports.service import import_run_job
from skills_app.people.models import ImportJob, ImportStatus, Person
from tests.imports.test_imports import PEOPLE_HEADER, csv_text, person_row

pytestmark = pytest.mark.django_db

GOOD_ROWS = [person_row(f"L{i}") for i in range(3)]


def xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def people_xlsx(n: int) -> bytes:
    header = PEOPLE_HEADER.split(",")
    return xlsx([header, *[person_row(f"X{i}").split(",") for i in range(n)]])


def with_shared_strings(content: bytes, sst: bytes | None = None) -> bytes:
    """openpyxl writes text inline; Excel writes it once in a shared-strings part that
    cells refer to by number. This turns the first into the second (``sst``: another
    shared-strings part to put in its place)."""
    strings: list[bytes] = []

    def shared(match):
        strings.append(match.group(2))
        return b'<c r="' + match.group(1) + b'" t="s"><v>%d</v></c>' % (len(strings) - 1)

    sheet = re.sub(
        rb'<c r="([A-Z]+\d+)" t="inlineStr"><is><t>([^<]*)</t></is></c>',
        shared,
        sheet_xml(content),
    )
    if sst is None:
        sst = (
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + b"".join(b"<si><t>" + text + b"</t></si>" for text in strings)
            + b"</sst>"
        )
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        types = archive.read("[Content_Types].xml")
    override = (
        b'<Override PartName="/xl/strings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    types = types.replace(b"</Types>", override + b"</Types>")
    return rezip(
        content,
        replace={"xl/worksheets/sheet1.xml": sheet, "[Content_Types].xml": types},
        add={"xl/strings.xml": sst},  # not the usual name: found by its content type
    )


def rezip(content: bytes, *, replace=None, add=None) -> bytes:
    """The same workbook with some parts replaced or added (deflated)."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = replace.get(info.filename, None)
            target.writestr(info.filename, source.read(info) if data is None else data)
        for name, data in add.items():
            target.writestr(name, data)
    return out.getvalue()


def sheet_xml(content: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


@pytest.fixture
def hr(client_for):
    return client_for(Role.HR)


@pytest.fixture
def upload(hr, monkeypatch):
    """Upload through the page with the real (database) task backend: the request must
    answer without opening the file. Then run the job as the worker would."""

    def go(content: bytes, name="people.xlsx", kind="people") -> ImportJob:
        def must_not_open(*args, **kwargs):
            raise AssertionError("the upload request opened the file")

        real_open = service.open_table
        monkeypatch.setattr(service, "open_table", must_not_open)
        file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
        response = hr.post("/imports/", {"kind": kind, "file": file})
        assert response.status_code == 302, response.content.decode()[:2000]
        job = ImportJob.objects.get(pk=response["Location"].split("/")[-2])
        assert job.status == ImportStatus.QUEUED
        monkeypatch.setattr(service, "open_table", real_open)
        return import_run_job(job_id=job.pk)

    return go


def assert_refused(job: ImportJob, message: str) -> None:
    assert job.status == ImportStatus.REJECTED, job.result
    assert re.search(message, job.result["detail"]), job.result["detail"]
    assert job.result["errors"][0]["row"] is None  # the file as a whole
    assert Person.objects.count() == 0
    job.refresh_from_db()
    assert bytes(job.content) == b""
    event = AccessEvent.objects.get(action=Action.IMPORT, object_id=str(job.pk))
    assert event.parameters["status"] == "rejected" and event.parameters["errors"] == 1


def test_an_xlsx_declaring_a1_e2_is_read_to_its_real_end(upload):
    content = people_xlsx(30)
    sheet = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:E2"', sheet_xml(content))
    content = rezip(content, replace={"xl/worksheets/sheet1.xml": sheet})
    job = upload(content)
    assert job.status == ImportStatus.SUCCEEDED and job.result["rows"] == 30
    assert Person.objects.count() == 30


def test_an_xlsx_declaring_a1_e2_with_too_many_rows_is_refused(upload, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 20)
    content = people_xlsx(30)
    sheet = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:E2"', sheet_xml(content))
    job = upload(rezip(content, replace={"xl/worksheets/sheet1.xml": sheet}))
    assert_refused(job, "more than 20 rows")


def test_a_csv_header_with_a_million_blank_columns_is_refused(upload):
    header = PEOPLE_HEADER + "," * 1_000_000
    job = upload(csv_text(header, *GOOD_ROWS).encode(), name="people.csv")
    assert_refused(job, r"Row 1 has 1,000,012 columns: a row may have at most 50")


def test_a_header_of_51_columns_is_refused_and_50_is_not(upload):
    job = upload(csv_text(PEOPLE_HEADER + "," * 39, *GOOD_ROWS).encode(), name="p.csv")
    assert_refused(job, "Row 1 has 51 columns")
    job = upload(csv_text(PEOPLE_HEADER + "," * 38, *GOOD_ROWS).encode(), name="p.csv")
    assert job.status == ImportStatus.SUCCEEDED, job.result


def test_a_wide_data_row_is_refused(upload):
    rows = [*GOOD_ROWS, person_row("L9") + "," * 60]
    assert_refused(upload(csv_text(PEOPLE_HEADER, *rows).encode(), name="p.csv"), "Row 5 has 72")


def test_a_csv_line_too_long_to_be_a_row_is_refused(upload):
    header = PEOPLE_HEADER + "," * (reading.MAX_LINE_CHARS + 10)
    job = upload(csv_text(header, *GOOD_ROWS).encode(), name="people.csv")
    assert_refused(job, "Line 1 is longer than")


def test_an_xlsx_row_too_wide_is_refused(upload):
    header = PEOPLE_HEADER.split(",")
    wide = person_row("W1").split(",") + [""] * 40 + ["x"]
    job = upload(xlsx([header, wide]))
    assert_refused(job, "Row 2 has 53 columns")


def test_a_cell_over_excels_limit_is_refused(upload):
    long = "x" * (reading.MAX_CELL_CHARS + 1)
    rows = [*GOOD_ROWS, person_row("L9", name=f'"{long}"')]
    job = upload(csv_text(PEOPLE_HEADER, *rows).encode(), name="people.csv")
    assert_refused(job, r"Cell B5 has 32,768 characters: a cell may hold at most 32,767")
    # (An XLSX cell cannot be longer: openpyxl stops at Excel's limit.)


def test_a_csv_with_a_nul_after_its_first_8_kb_is_refused(upload):
    rows = [person_row(f"N{i}") for i in range(200)]
    rows.append(person_row("N999", name="Bad\x00Name"))
    content = csv_text(PEOPLE_HEADER, *rows).encode()
    assert content.index(b"\x00") > 8192
    assert_refused(upload(content, name="people.csv"), "Line 202 holds a NUL character")


def test_a_workbook_with_shared_strings_imports():
    job = service.import_file(
        kind="people", filename="p.xlsx", content=with_shared_strings(people_xlsx(3))
    )
    assert job.status == ImportStatus.SUCCEEDED, job.result
    assert Person.objects.get(staff_number="X2").full_name == "Person X2"


def test_a_shared_strings_bomb_is_refused(upload):
    """Millions of tiny shared strings in a file of a few hundred KB."""
    bomb = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"<si><t>x</t></si>" * 5_000_000
        + b"</sst>"
    )
    content = with_shared_strings(people_xlsx(2), bomb)
    assert len(content) < 400_000
    assert_refused(upload(content), "expands to far more data")


def test_too_many_shared_strings_are_refused_even_when_not_a_bomb(upload, monkeypatch):
    monkeypatch.setattr(reading, "MAX_SHARED_STRINGS", 40)
    job = upload(with_shared_strings(people_xlsx(30)))  # names, emails, staff numbers...
    assert_refused(job, "more than 40 different texts")


def test_too_much_shared_text_is_refused(upload, monkeypatch):
    monkeypatch.setattr(reading, "MAX_SHARED_STRINGS_BYTES", 1000)
    assert_refused(upload(with_shared_strings(people_xlsx(30))), "more than 0 KB")


def test_a_zip_bomb_part_is_refused(upload):
    content = rezip(people_xlsx(2), add={"xl/media/padding.bin": b"\0" * 50_000_000})
    assert len(content) < 200_000
    assert_refused(upload(content), "expands to far more data")


def test_a_workbook_expanding_past_the_total_limit_is_refused(upload, monkeypatch):
    monkeypatch.setattr(reading, "MAX_XLSX_UNCOMPRESSED_BYTES", 20_000)
    assert_refused(upload(people_xlsx(300)), "expands to far more data")


def test_a_workbook_of_too_many_parts_is_refused(upload, monkeypatch):
    monkeypatch.setattr(reading, "MAX_XLSX_PARTS", 12)
    parts = {f"xl/media/p{i}.bin": b"x" for i in range(20)}
    assert_refused(upload(rezip(people_xlsx(2), add=parts)), "too many parts")


def test_a_part_holding_more_than_its_declared_size_is_not_inflated_past_it(upload):
    """The directory declares the sheet smaller than it is: zipfile stops at the
    declared size, the CRC fails and the workbook is refused as damaged."""
    content = people_xlsx(40)
    name = b"xl/worksheets/sheet1.xml"
    entry = content.rindex(b"PK\x01\x02", 0, content.rindex(name))  # its directory entry
    declared = struct.unpack("<I", content[entry + 24 : entry + 28])[0]
    lie = struct.pack("<I", declared // 4)
    content = content[: entry + 24] + lie + content[entry + 28 :]
    assert_refused(upload(content), "damaged|could not be")


def test_the_api_answers_202_without_opening_a_hostile_file(hr, monkeypatch):
    def must_not_open(*args, **kwargs):
        raise AssertionError("the upload request opened the file")

    real_open = service.open_table
    monkeypatch.setattr(service, "open_table", must_not_open)
    bomb = rezip(people_xlsx(2), add={"xl/media/padding.bin": b"\0" * 50_000_000})
    file = SimpleUploadedFile("people.xlsx", bomb, content_type="application/octet-stream")
    response = hr.post("/api/v1/imports/people", {"file": file})
    assert response.status_code == 202, response.content
    monkeypatch.setattr(service, "open_table", real_open)
    job = import_run_job(job_id=response.json()["job"])
    assert_refused(job, "expands to far more data")
    result = hr.get(response.json()["status_url"]).json()["result"]
    assert result["ok"] is False and result["errors"][0]["message"] == result["detail"]


def test_an_xlsx_row_of_more_cells_than_excel_has_columns_is_refused_before_reading(
    upload, monkeypatch
):
    """openpyxl holds a whole row in memory: a row of millions of cells (an XML bomb
    that inflates less than 100 times) must be refused before openpyxl reads it."""
    content = people_xlsx(2)
    cell = b'<c t="inlineStr"><is><t>x</t></is></c>'
    sheet = sheet_xml(content).replace(
        b"</sheetData>", b'<row r="4">' + cell * 20_000 + b"</row></sheetData>"
    )
    content = rezip(content, replace={"xl/worksheets/sheet1.xml": sheet})

    def must_not_read(*args, **kwargs):
        raise AssertionError("openpyxl read the rows")

    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", must_not_read)
    assert_refused(upload(content), "Row 4 of the sheet has more than 16,384 cells")
