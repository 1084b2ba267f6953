"""Time ``seed_demo`` at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/muster_bench \\
        .venv/bin/python benchmarks/seed_bench.py --people 100000

Runs ``migrate`` and the DDaT import (untimed), then ``seed_demo --reset`` (timed) against the
database in --database-url or DATABASE_URL, and prints people, person-skills, seconds, rows/s
and peak RSS. It deletes every person in that database, so it refuses to run when the
database holds people who are not demo data (work e-mail outside the demo domain) unless
--force is given. Use a database of its own (CREATE DATABASE muster_bench).
"""

import argparse
import json
import os
import resource
import sys
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 180.0  # 100k people in under 3 minutes on PostgreSQL


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="default: $DATABASE_URL (required one way or other)")
    parser.add_argument("--force", action="store_true", help="run even over non-demo people")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        print(
            "seed_bench: give --database-url or set DATABASE_URL (a throwaway database)",
            file=sys.stderr,
        )
        return 2
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skills_app.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from skills_app.demo.generator import EMAIL_DOMAIN
    from skills_app.people.models import (
        OrgUnit,
        Person,
        PersonSkill,
        Qualification,
        RoleHistory,
    )

    call_command("migrate", verbosity=0, interactive=False)
    foreign = Person.objects.exclude(work_email__endswith=f"@{EMAIL_DOMAIN}").count()
    if foreign and not args.force:
        print(
            f"seed_bench: {foreign} people in this database are not demo data; refusing to "
            "delete them (use a database of its own, or --force)",
            file=sys.stderr,
        )
        return 2
    call_command("import_ddat", stdout=StringIO())

    log = StringIO()
    started = time.perf_counter()
    call_command(
        "seed_demo", people=args.people, seed=args.seed, reset=True, verbosity=2, stdout=log
    )
    seconds = time.perf_counter() - started

    counts = {
        "org_units": OrgUnit.objects.count(),
        "people": Person.objects.count(),
        "person_skills": PersonSkill.objects.count(),
        "role_history": RoleHistory.objects.count(),
        "qualifications": Qualification.objects.count(),
    }
    rows = sum(counts.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    result = {
        "database": connection.vendor,
        **counts,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mb": round(peak_mb),
        "phases": [line.strip() for line in log.getvalue().splitlines() if line.startswith("  ")],
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"seed_demo --people {args.people} --seed {args.seed} --reset on {connection.vendor}")
        for phase in result["phases"]:
            print(f"  {phase}")
        table = [
            ("people", f"{counts['people']:,}"),
            ("person-skills", f"{counts['person_skills']:,}"),
            ("role history", f"{counts['role_history']:,}"),
            ("qualifications", f"{counts['qualifications']:,}"),
            ("org units", f"{counts['org_units']:,}"),
            ("seconds", f"{seconds:.1f}"),
            ("rows/s (all tables)", f"{result['rows_per_second']:,}"),
            ("peak RSS", f"{peak_mb:,.0f} MiB"),
        ]
        width = max(len(k) for k, _ in table)
        print()
        for key, value in table:
            print(f"{key.ljust(width)}  {value.rjust(12)}")
    if args.people >= 100_000 and connection.vendor == "postgresql" and seconds > TARGET_SECONDS:
        print(f"seed_bench: slower than the {TARGET_SECONDS:.0f}s target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
