"""`make bench`: run every benchmark against PostgreSQL and print the results.

Benchmarks measure speed on realistic generated data at the sizes the issues
name; tests never assert timings. Each benchmark is a script in this folder
that prints its own table; this runner picks the database, runs them in turn
and keeps a copy of the output in bench-results/.

BENCH_DATABASE_URL (default: a `muster_bench` database on the local
PostgreSQL) names the server and a prefix: each benchmark gets a database of
its own (`muster_bench_seed`, ...), created if missing and wiped by the
benchmark: never point it at real data.
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/muster_bench"

# (title, database suffix, script, arguments); sizes can be overridden from the environment.
BENCHMARKS = [
    ("Import ESCO v1.1.1", "esco", "esco_import_bench.py", []),
    (
        "Skill-label normaliser: latency vs a rapidfuzz WRatio scan",
        "none",
        "normaliser_bench.py",
        [],
    ),
    ("Skill-label normaliser: precision and recall", "none", "normaliser_eval.py", []),
    (
        "Skills from text and job titles -> occupations: ESCO descriptions and titles",
        "none",
        "extract_eval.py",
        [],
    ),
    (
        "HR imports: 100k people, 1.5M person skills",
        "imports",
        "import_bench.py",
        [
            "--people",
            os.environ.get("BENCH_IMPORT_PEOPLE", "100000"),
            "--skills-per-person",
            "15",
        ],
    ),
    (
        "Draft everyone's skills: 100k people from role history, titles and qualifications",
        "drafts",
        "draft_bench.py",
        ["--people", os.environ.get("BENCH_DRAFT_PEOPLE", "100000")],
    ),
    (
        "One index for every process: build vs mapped snapshot, memory of 2 processes",
        "share",
        "index_share_bench.py",
        ["--people", os.environ.get("BENCH_SHARE_PEOPLE", "100000,500000")],
    ),
    (
        "Load: the production configuration, 50 planners, 2 minutes, an import half way",
        "load",
        "load_bench.py",
        ["--people", os.environ.get("BENCH_LOAD_PEOPLE", "100000")],
    ),
    (
        "HR uploads: how long hostile files hold the web request",
        "uploads",
        "upload_bench.py",
        ["--rows", os.environ.get("BENCH_UPLOAD_ROWS", "100000")],
    ),
    (
        "Surge allocation: exact optimum vs greedy, 100k staff, 30 lines, 5,000 posts",
        "none",
        "surge_bench.py",
        [],
    ),
    (
        "Surge allocation with plenty of eligible people (minimum scores 0.2-0.3)",
        "none",
        "surge_bench.py",
        ["--min-scores", "0.2,0.3"],
    ),
    (
        "Week-by-week allocation from demand: 100k staff, 10 lines, 12 weeks, 2,000 units",
        "none",
        "weekly_bench.py",
        [],
    ),
    (
        "Seed a demo department",
        "seed",
        "seed_bench.py",
        ["--people", os.environ.get("BENCH_SEED_PEOPLE", "100000")],
    ),
    (
        "Matching engine vs SQL and the match API: 100k and 500k people",
        "match",
        "match_bench.py",
        ["--people", os.environ.get("BENCH_MATCH_PEOPLE", "100000,500000")],
    ),
    (
        "Report pages, SQL vs index figures and the inventory export: 100k and 500k people",
        "reports",
        "report_bench.py",
        ["--people", os.environ.get("BENCH_REPORT_PEOPLE", "100000,500000")],
    ),
    (
        "Data quality: draft skills confirmed and outstanding per unit, 100k people",
        "drafts_quality",
        "draft_quality_bench.py",
        ["--people", os.environ.get("BENCH_DRAFT_QUALITY_PEOPLE", "100000")],
    ),
]


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    base_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    out_dir = ROOT / "bench-results"
    out_dir.mkdir(exist_ok=True)
    log = out_dir / f"bench-{dt.datetime.now():%Y%m%d-%H%M%S}.txt"
    failures = 0
    with log.open("w") as sink:
        for title, suffix, script, args in BENCHMARKS:
            url = f"{base_url}_{suffix}"
            if suffix != "none" and url.startswith("postgres"):
                ensure_database(url)
            env = {**os.environ, "DATABASE_URL": url if suffix != "none" else ""}
            header = f"\n== {title}: {script} {' '.join(args)}\n"
            print(header, flush=True)
            sink.write(header)
            result = subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / script), *args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            print(result.stdout, result.stderr, sep="", flush=True)
            sink.write(result.stdout + result.stderr)
            failures += result.returncode != 0
    print(f"\nResults saved to {log.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
