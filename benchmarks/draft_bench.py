"""Time "draft everyone" (DESIGN 9) over 100,000 people on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/muster_draftbench \\
        .venv/bin/python benchmarks/draft_bench.py --people 100000

Sets the database up as ``make demo`` does, in child processes (so their memory is
not counted): migrate, ``import_ddat`` (the DDaT role library and its skills),
``import_esco`` (the real ESCO v1.1.1 occupations, with their alternative titles
and essential/optional skills) and ``seed_demo --people N`` (the demo department:
role history linked to DDaT and local roles, free-text prior titles, qualifications,
1.3 million confirmed skills). The stewards' qualification table is filled for the
demo's 17 qualification names (each mapped to the skill the label index finds for a
hand-written phrase). A database that already holds N seeded people and the ESCO
occupations is reused unless ``--fresh``.

Then, timed in this process: every draft, rejection and draft run is deleted, and
a DraftRun is started and executed the way the worker does
(``draft_run_execute``), twice: the first drafts everyone, the second must change
nothing. Prints people, drafts created (by source), seconds and peak RSS for each.
Target: the first run in under 5 minutes and 1 GiB.

Use a throwaway database (make bench gives it ``muster_bench_drafts``): ``--fresh``
and the seed replace every person in it.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 300.0
TARGET_RSS_MB = 1024.0

# The demo's qualifications (skills_app.demo.generator) -> phrases naming the skills
# they show, resolved through the label index to real skills, at a level.
QUALIFICATION_SKILLS = {
    "Level 3 Certificate in Customer Service": [("customer service", 3)],
    "Mental Health First Aid": [("provide first aid", 2)],
    "Professionalism in Security (PINS)": [("security threats", 2)],
    "Level 3 Award in Management": [("manage staff", 2)],
    "British Sign Language Level 2": [("British Sign Language", 2)],
    "Level 4 Certificate in Debt Advice": [("provide debt advice", 3)],
    "Level 3 Diploma in Advice and Guidance": [("provide advice", 3)],
    "ITIL 4 Foundation": [("ICT service management", 2)],
    "PRINCE2 Foundation": [("project management", 2)],
    "AWS Certified Solutions Architect - Associate": [("cloud technologies", 3)],
    "Microsoft Certified: Azure Fundamentals": [("cloud technologies", 2)],
    "Certified ScrumMaster": [("agile project management", 3)],
    "ISTQB Certified Tester Foundation Level": [("software testing", 2)],
    "Foundation Certificate in Business Analysis": [("business analysis", 2)],
    "CISSP": [("information security", 3), ("cyber security", 3)],
    "TOGAF Enterprise Architecture Foundation": [("enterprise architecture", 2)],
    "Level 4 Data Analyst apprenticeship": [("data analysis", 3), ("statistics", 2)],
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=None, help="people per batch")
    parser.add_argument("--database-url", help="default: $DATABASE_URL")
    parser.add_argument("--fresh", action="store_true", help="set the database up again")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    return parser.parse_args(argv)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def manage(*args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def set_up(args) -> dict:
    """Bring the database to N seeded people with ESCO and DDaT; returns timings."""
    from skills_app.people.models import Person
    from taxonomy.models import Occupation

    timings = {}
    manage("migrate", "--noinput", "--verbosity", "0")
    ready = Person.objects.count() == args.people and Occupation.objects.exists()
    if ready and not args.fresh:
        return {"reused": True}
    for step, command in (
        ("import_ddat", ["import_ddat"]),
        ("import_esco", ["import_esco"]),
        (
            "seed_demo",
            ["seed_demo", "--people", str(args.people), "--seed", str(args.seed), "--reset"],
        ),
    ):
        started = time.perf_counter()
        manage(*command)
        timings[step] = round(time.perf_counter() - started, 1)
    return timings


def fill_qualification_table() -> int:
    from taxonomy.labels import label_index
    from taxonomy.models import QualificationSkill

    index = label_index()
    QualificationSkill.objects.all().delete()
    rows = 0
    for name, wanted in QUALIFICATION_SKILLS.items():
        for phrase, level in wanted:
            found = index.search(phrase, limit=1)
            if found:
                QualificationSkill.objects.get_or_create(
                    qualification=name, skill_id=found[0].skill_id, defaults={"level": level}
                )
                rows += 1
    return rows


def clear_drafts() -> None:
    from skills_app.people.models import DraftRejection, DraftRun, PersonSkill

    PersonSkill.objects.drafts().delete()
    DraftRejection.objects.all().delete()
    DraftRun.objects.all().delete()


def timed_run(batch: int | None) -> dict:
    from skills_app.people.draft_runs import draft_run_execute
    from skills_app.people.models import DraftRun

    run = DraftRun.objects.create(total_people=0)  # started as draft_run_start does, no worker
    started = time.perf_counter()
    run = draft_run_execute(run_id=run.pk, batch_size=batch)
    seconds = time.perf_counter() - started
    if run.status != "succeeded":
        raise SystemExit(f"draft_bench: the run {run.status}: {run.result}")
    result = run.result
    return {
        "people": run.processed_people,
        "seconds": round(seconds, 1),
        "people_per_s": round(run.processed_people / seconds) if seconds else None,
        "peak_rss_mb": round(peak_rss_mb()),
        "people_drafted": result["people_drafted"],
        "drafts_created": result["drafts_created"],
        "drafts_updated": result["drafts_updated"],
        "drafts_withdrawn": result["drafts_withdrawn"],
        "drafts_unchanged": result["drafts_unchanged"],
        "skipped_confirmed": result["skipped_confirmed"],
        "by_source": result["by_source"],
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        print("draft_bench: give --database-url or set DATABASE_URL", file=sys.stderr)
        return 2
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skills_app.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.db import connection

    from skills_app.people.models import Qualification, RoleHistory

    setup = set_up(args)
    qualification_rows = fill_qualification_table()
    clear_drafts()
    connection.close()  # the timed part starts from a fresh connection
    data = {
        "role_history_rows": RoleHistory.objects.count(),
        "linked_to_a_role": RoleHistory.objects.filter(role_profile__isnull=False).count(),
        "qualifications": Qualification.objects.count(),
        "qualification_table_rows": qualification_rows,
    }
    first = timed_run(args.batch)
    second = timed_run(args.batch)
    if second["drafts_created"] or second["drafts_updated"] or second["drafts_withdrawn"]:
        raise SystemExit(f"draft_bench: the second run was not idempotent: {second}")
    summary = {
        "database": connection.vendor,
        "setup_seconds": setup,
        **data,
        "first run": first,
        "second run (idempotent)": second,
        "target": f"first run < {TARGET_SECONDS:.0f} s and < {TARGET_RSS_MB:.0f} MB",
        "met": first["seconds"] < TARGET_SECONDS and first["peak_rss_mb"] < TARGET_RSS_MB,
    }
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(f"Database: {connection.vendor}; setup: {setup}")
        for key, value in data.items():
            print(f"  {key}: {value:,}")
        for name in ("first run", "second run (idempotent)"):
            step = summary[name]
            print(
                f"{name}: {step['people']:,} people in {step['seconds']} s "
                f"({step['people_per_s']:,}/s), peak RSS {step['peak_rss_mb']} MB; "
                f"{step['people_drafted']:,} people drafted, {step['drafts_created']:,} drafts "
                f"created, {step['drafts_updated']:,} updated, {step['drafts_unchanged']:,} "
                f"unchanged, {step['skipped_confirmed']:,} already confirmed"
            )
            print(f"  created by source: {step['by_source']}")
        print(f"Target: {summary['target']}: {'met' if summary['met'] else 'NOT met'}")
    return 0 if summary["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
