"""Time the HR imports at scale: 100,000 people and 1,500,000 person-skill rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/muster_importbench \\
        .venv/bin/python benchmarks/import_bench.py --people 100000 --skills-per-person 15

Migrates the database, loads the DDaT framework and the local operational skills
(untimed), empties the people tables, then generates two CSV files with realistic data:

- people: staff numbers, names, emails, grades, a four-level organisation path (the
  units are created by the import), locations, hours, clearances, flags and line
  managers, the rows shuffled so managers often come after their reports;
- person-skills: ``--skills-per-person`` distinct skills each, named the way HR
  exports name them: mostly the taxonomy's names, some aliases, some in other letter
  case, and a few misspelt (each misspelling checked to resolve automatically), with
  levels as numbers or names, last_used as YYYY, YYYY-MM or blank, and evidence.

Each file then goes through ``import_run_job``, the same service the task worker runs
(the file is stored on an ImportJob first, as an upload would be): people, person skills,
then both again (nothing may change). Prints rows, seconds, rows/s and peak RSS per
step. Target: people + person skills in under 5 minutes, peak RSS under 1 GiB.

It TRUNCATEs the people tables (and every table that references them, the audit trail
included) before and after the run, so use a throwaway database (CREATE DATABASE
muster_importbench, or make bench's muster_bench): it refuses to run over people who
are neither its own nor seed_demo's unless --force is given.
"""

import argparse
import csv
import io
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 300.0
TARGET_RSS_MB = 1024.0
EMAIL_DOMAIN = "importbench.example"  # RFC 2606 reserved


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--skills-per-person", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="default: $DATABASE_URL")
    parser.add_argument("--force", action="store_true", help="run even over other people")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    return parser.parse_args(argv)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- data generation -------------------------------------------------------------------------


def misspell(rng: random.Random, name: str) -> str:
    """Swap two neighbouring letters inside a longer word."""
    words = name.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not candidates:
        return name
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def skill_labels(rng: random.Random) -> list[list[str]]:
    """For each active skill, the ways a file may name it (first: its name)."""
    from taxonomy.labels import label_index
    from taxonomy.models import Skill, SkillAlias, SkillStatus

    index = label_index()
    aliases: dict[int, list[str]] = {}
    for skill_id, label in SkillAlias.objects.values_list("skill_id", "label"):
        aliases.setdefault(skill_id, []).append(label)
    labels = []
    for pk, name in Skill.objects.filter(status=SkillStatus.ACTIVE).values_list("pk", "name"):
        decision = index.decide(name)
        if decision.outcome != "auto" or decision.candidates[0].skill_id != pk:
            continue  # a name shared with another skill: the import rightly asks which
        ways = [name, name.lower(), name.upper()]
        for alias in aliases.get(pk, [])[:3]:
            decision = index.decide(alias)
            if decision.outcome == "auto" and decision.candidates[0].skill_id == pk:
                ways.append(alias)
        for _ in range(3):
            typo = misspell(rng, name)
            decision = index.decide(typo)
            if (
                typo != name
                and decision.outcome == "auto"
                and decision.candidates[0].skill_id == pk
            ):
                ways.append(typo)
                break
        labels.append(ways)
    return labels


def people_csv(path: Path, people: int, rng: random.Random) -> int:
    from skills_app.demo.generator import FIRST_NAMES, LAST_NAMES, LOCATIONS

    dept = "Department for Benchmarks"
    directorates = [f"Directorate {chr(65 + i)}" for i in range(10)]
    # Managers first in the list (index < their reports), then shuffled in the file.
    rows = []
    managers_of_level: list[list[int]] = [[], [], [], []]

    def add(level: int, unit: str, manager: int | None, grade: str) -> int:
        n = len(rows)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        rows.append(
            [
                f"IB{n:07d}",
                f"{first} {last}",
                f"{first.lower()}.{last.lower()}.{n}@{EMAIL_DOMAIN}",
                grade,
                unit,
                rng.choice(LOCATIONS),
                rng.choice(["37", "37", "37", "30", "22.5", ""]),
                rng.choice(["BPSS", "BPSS", "CTC", "SC", "sc", ""]),
                rng.choice(["yes", "yes", "no", "Y", ""]),
                rng.choice(["no", "no", "no", "yes", ""]),
                rng.choice(["", "2025-04-01", "2026-01-05", "01/09/2025"]),
                "" if manager is None else f"IB{manager:07d}",
            ]
        )
        managers_of_level[level].append(n)
        return n

    head = add(0, dept, None, "SCS3")
    for d in directorates:
        director = add(1, f"{dept}/{d}", head, "SCS2")
        for v in range(10):
            division = f"{dept}/{d}/Division {v + 1}"
            division_head = add(2, division, director, "G6")
            for t in range(max(1, people // 1000)):
                team = f"{division}/Team {t + 1}"
                add(3, team, division_head, "SEO")
    leads = managers_of_level[3]
    grades = ["AO", "EO", "EO", "HEO", "HEO", "SEO", "G7"]
    while len(rows) < people:
        lead = rng.choice(leads)
        add(3, rows[lead][4], lead, rng.choice(grades))
    del rows[people:]
    rng.shuffle(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "staff_number",
                "full_name",
                "email",
                "grade",
                "org_unit",
                "location",
                "weekly_hours",
                "clearance",
                "redeployable",
                "protected",
                "available_from",
                "line_manager_staff_number",
            ]
        )
        writer.writerows(rows)
    return len(rows)


def person_skills_csv(path: Path, people: int, per_person: int, rng: random.Random) -> int:
    labels = skill_labels(rng)
    per_person = min(per_person, len(labels))
    levels = ["1", "2", "3", "4", "2", "3", "Working", "practitioner", "Expert", "awareness"]
    used = ["", "", "", "2024", "2023-06", "2021", "2019-11-30"]
    evidence = ["", "", "self", "manager_verified", "assessed", "certified"]
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["staff_number", "skill", "level", "last_used", "evidence"])
        for n in range(people):
            sn = f"IB{n:07d}"
            chosen = rng.sample(labels, per_person)
            batch = []
            for ways in chosen:
                r = rng.random()
                label = ways[0] if r < 0.8 or len(ways) == 3 else rng.choice(ways[1:])
                batch.append(
                    (sn, label, rng.choice(levels), rng.choice(used), rng.choice(evidence))
                )
            writer.writerows(batch)
            count += len(batch)
    return count


# -- the run ---------------------------------------------------------------------------------


def empty_people_tables(connection) -> None:
    tables = ["people_personskill", "people_rolehistory", "people_qualification"]
    tables += ["people_person", "people_orgunit", "people_importjob"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A throwaway database: the audit trail's TRUNCATE guard (audit migration
            # 0005) lets the tables' owner opt out for this session.
            cursor.execute("SET muster.allow_audit_truncate = 'on'")
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            cursor.execute("DELETE FROM audit_accessevent WHERE subject_id IS NOT NULL")
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608


def timed_import(kind: str, path: Path) -> dict:
    from skills_app.imports.service import import_create_job, import_run_job

    started = time.perf_counter()
    content = path.read_bytes()
    # Stored as an upload is (import_submit), then run as the worker runs it.
    job = import_create_job(
        kind=kind, filename=path.name, content=content, dry_run=False, user=None
    )
    del content
    job = import_run_job(job_id=job.pk)
    seconds = time.perf_counter() - started
    result = job.result
    if not result.get("ok"):
        print(json.dumps({k: result[k] for k in ("detail", "errors")}, indent=2)[:4000])
        raise SystemExit(f"import_bench: the {kind} import failed: {result.get('detail')}")
    return {
        "rows": result["rows"],
        "created": result["created"],
        "updated": result["updated"],
        "unchanged": result["unchanged"],
        "seconds": round(seconds, 1),
        "rows_per_second": round(result["rows"] / seconds),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        print("import_bench: give --database-url or set DATABASE_URL", file=sys.stderr)
        return 2
    os.environ["DATABASE_URL"] = url
    # As in production: with DEBUG on, Django keeps every query (with its parameters,
    # here the stored file) in connection.queries.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skills_app.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from skills_app.demo.generator import ensure_local_catalogue
    from skills_app.people.models import Person
    from taxonomy.services import taxonomy_changed

    call_command("migrate", verbosity=0, interactive=False)
    from skills_app.demo.generator import EMAIL_DOMAIN as DEMO_DOMAIN

    foreign = (
        Person.objects.exclude(work_email__endswith=f"@{EMAIL_DOMAIN}")
        .exclude(work_email__endswith=f"@{DEMO_DOMAIN}")
        .count()
    )
    if foreign and not args.force:
        print(
            f"import_bench: {foreign} people in this database are not benchmark data; "
            "refusing to delete them (use a database of its own, or --force)",
            file=sys.stderr,
        )
        return 2
    call_command("import_ddat", stdout=io.StringIO())
    ensure_local_catalogue()
    taxonomy_changed()
    empty_people_tables(connection)

    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="muster-import-bench-"))
    people_path = workdir / "people.csv"
    skills_path = workdir / "person-skills.csv"
    started = time.perf_counter()
    people = people_csv(people_path, args.people, rng)
    skill_rows = person_skills_csv(skills_path, people, args.skills_per_person, rng)
    generate_seconds = time.perf_counter() - started
    generate_rss = peak_rss_mb()

    steps = {}
    steps["people"] = timed_import("people", people_path)
    steps["person-skills"] = timed_import("person-skills", skills_path)
    steps["people again"] = timed_import("people", people_path)
    steps["person-skills again"] = timed_import("person-skills", skills_path)
    for name in ("people again", "person-skills again"):
        step = steps[name]
        if step["created"] or step["updated"]:
            raise SystemExit(f"import_bench: re-import was not idempotent: {step}")
    total = steps["people"]["seconds"] + steps["person-skills"]["seconds"]
    peak = max(step["peak_rss_mb"] for step in steps.values())
    sizes = {
        "people.csv MB": round(people_path.stat().st_size / 1e6, 1),
        "person-skills.csv MB": round(skills_path.stat().st_size / 1e6, 1),
    }
    for path in (people_path, skills_path):
        path.unlink()
    workdir.rmdir()
    empty_people_tables(connection)  # leave the database as seed_bench expects it

    summary = {
        "database": connection.vendor,
        "people": people,
        "person_skill_rows": skill_rows,
        **sizes,
        "generate_seconds": round(generate_seconds, 1),
        "generate_peak_rss_mb": round(generate_rss),
        "steps": steps,
        "import_seconds": round(total, 1),
        "peak_rss_mb": peak,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"import_bench --people {args.people} --skills-per-person {args.skills_per_person} "
            f"on {connection.vendor}"
        )
        print(
            f"  generated {people:,} people and {skill_rows:,} person-skill rows "
            f"({sizes['people.csv MB']} + {sizes['person-skills.csv MB']} MB of CSV) in "
            f"{generate_seconds:.1f}s"
        )
        print()
        header = (
            "step",
            "rows",
            "created",
            "updated",
            "unchanged",
            "seconds",
            "rows/s",
            "peak RSS",
        )
        print(
            f"{header[0]:<22}{header[1]:>11}{header[2]:>11}{header[3]:>9}{header[4]:>11}"
            f"{header[5]:>9}{header[6]:>10}{header[7]:>11}"
        )
        for name, s in steps.items():
            print(
                f"{name:<22}{s['rows']:>11,}{s['created']:>11,}{s['updated']:>9,}"
                f"{s['unchanged']:>11,}{s['seconds']:>9.1f}{s['rows_per_second']:>10,}"
                f"{s['peak_rss_mb']:>7,} MiB"
            )
        print()
        print(
            f"people + person-skills: {total:.1f}s (target {TARGET_SECONDS:.0f}s); "
            f"peak RSS {peak:,} MiB (target {TARGET_RSS_MB:.0f} MiB)"
        )
    big = args.people >= 100_000 and connection.vendor == "postgresql"
    if big and (total > TARGET_SECONDS or peak > TARGET_RSS_MB):
        print("import_bench: missed the target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
