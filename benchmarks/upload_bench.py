"""How long an HR upload holds the web request, for the hostile files of issue 13.

    DATABASE_URL=sqlite:////tmp/upload_bench.sqlite3 .venv/bin/python benchmarks/upload_bench.py

Builds each file, posts it to ``POST /api/v1/imports/people`` as an HR user through
Django's test client (the whole request: middleware, authentication, the handler), and
times the request; then runs the queued job as the worker would and times that too,
printing the job's outcome. Target: no request over 2 s, and every hostile file refused
with a clear message that writes nothing.

The files: an XLSX whose sheet declares ``A1:E2`` but holds 100,000 rows; a CSV whose
header has 1,000,000 blank columns; a shared-strings bomb (1,000,000 shared strings in a
small zip); a CSV with a NUL byte after its first 8 KB. ``--rows`` changes the XLSX's rows.
The first is a valid file whose declared size lies: it is read to its real end and
imported in the worker; the others are refused there, writing nothing. It empties the
people tables first (like import_bench): point it at a throwaway database.
"""

import argparse
import io
import os
import re
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["staff_number", "full_name", "email", "grade", "org_unit"]


def person(i: int) -> list[str]:
    return [f"U{i:07d}", f"Person {i}", f"u{i}@bench.example", "HEO", "Dept/Team"]


def xlsx_declaring_a1_e2(rows: int) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for i in range(rows):
        sheet.append(person(i))
    raw = io.BytesIO()
    book.save(raw)
    return _rewrite(
        raw.getvalue(),
        lambda name, data: (
            re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:E2"/>', data)
            if name.startswith("xl/worksheets/")
            else data
        ),
    )


def shared_strings_bomb(strings: int = 1_000_000) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(HEADER)
    raw = io.BytesIO()
    book.save(raw)
    sst = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'count="%d" uniqueCount="%d">'
        % (strings, strings)
        + b"<si><t>x</t></si>" * strings
        + b"</sst>"
    )
    content = _rewrite(raw.getvalue(), lambda name, data: data, add={"xl/sharedStrings.xml": sst})
    return content


def _rewrite(content: bytes, change, add=None) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item.filename, change(item.filename, source.read(item.filename)))
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def blank_columns_csv(columns: int = 1_000_000) -> bytes:
    return (",".join(HEADER) + "," * columns + "\n" + ",".join(person(1)) + "\n").encode()


def nul_after_8kb_csv() -> bytes:
    rows = [",".join(HEADER)] + [",".join(person(i)) for i in range(400)]
    text = "\n".join(rows).encode()
    return text[:9000] + b"\x00" + text[9000:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--only", default="", help="the files to post, by number (1-4), e.g. 1,4; default all"
    )
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        print("upload_bench: set DATABASE_URL to a throwaway database", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skills_app.settings")
    os.environ.setdefault("THROTTLE_EXPORT_RATE", "100000/min")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    from django.db import connection

    from benchmarks.import_bench import empty_people_tables

    empty_people_tables(connection)  # a throwaway database: each run starts with no people
    from skills_app.accounts.permissions import Role
    from skills_app.accounts.services import user_create_with_roles
    from skills_app.people.models import ImportJob, Person

    user = user_create_with_roles(
        username=f"upload-bench-{time.time_ns()}", password="correct-horse-battery", roles={Role.HR}
    )
    client = Client()
    client.force_login(user)
    files = [
        (f"XLSX declaring A1:E2, {args.rows:,} rows", "a.xlsx", xlsx_declaring_a1_e2(args.rows)),
        ("CSV header with 1,000,000 blank columns", "b.csv", blank_columns_csv()),
        ("Shared-strings bomb (1,000,000 strings)", "c.xlsx", shared_strings_bomb()),
        ("CSV with a NUL after 8 KB", "d.csv", nul_after_8kb_csv()),
    ]
    # The first request of a process pays for Django's lazy set-up (URL patterns, the
    # API schema): pay it here, so the rows below time the upload itself.
    started = time.perf_counter()
    client.get("/api/v1/imports/jobs")
    print(
        f"First request of the process (set-up, not timed below): "
        f"{time.perf_counter() - started:.3f} s\n"
    )
    if args.only:
        keep = {int(n) for n in args.only.split(",")}
        files = [f for number, f in enumerate(files, 1) if number in keep]
    people_before = Person.objects.count()
    print(f"{'file':44} {'bytes':>10} {'request s':>10} {'status':>6} {'worker s':>9}  outcome")
    worst = 0.0
    for label, name, content in files:
        upload = io.BytesIO(content)
        upload.name = name
        started = time.perf_counter()
        response = client.post("/api/v1/imports/people", {"file": upload})
        request_seconds = time.perf_counter() - started
        worst = max(worst, request_seconds)
        body = response.json()
        outcome, worker_seconds = str(body.get("detail", ""))[:90], float("nan")
        if response.status_code == 202:
            from skills_app.imports.service import import_run_job

            started = time.perf_counter()
            job = import_run_job(job_id=body["job"])
            worker_seconds = time.perf_counter() - started
            outcome = f"{job.status}: {(job.result or {}).get('detail', '')[:90]}"
        print(
            f"{label:44} {len(content):>10,} {request_seconds:>10.3f} "
            f"{response.status_code:>6} {worker_seconds:>9.2f}  {outcome}"
        )
    written = Person.objects.count() - people_before
    # The first file is a valid one (its declared size is a lie, not its rows): it
    # imports in the worker; the hostile ones must write nothing.
    print(
        f"\nSlowest request: {worst:.3f} s (target under 2 s); people written: {written:,} "
        f"(expected {args.rows:,}, all from the first file)"
    )
    ImportJob.objects.filter(created_by=user).update(content=b"")
    expected = args.rows if any(name == "a.xlsx" for _, name, _ in files) else 0
    return 0 if worst < 2 and written == expected else 1


if __name__ == "__main__":
    sys.exit(main())
