"""Time the data-quality report's draft counts (DESIGN 9) at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/muster_bench_drafts \\
        .venv/bin/python benchmarks/draft_quality_bench.py --people 100000

Loads ``match_bench``'s workforce (about 15 skills a person), marks a share of the
person skills as unconfirmed drafts and another share as confirmed drafts (a
source, evidence self), then times ``reports.selectors._draft_counts`` (the one
grouped query: drafts confirmed and outstanding per unit) and the whole
``data_quality`` report for HR, over a warm matching index. Like ``match_bench``
it TRUNCATEs the people and skills tables: give it a database of its own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--drafts", type=float, default=0.3, help="share of rows left as drafts")
    parser.add_argument("--confirmed", type=float, default=0.1, help="share confirmed drafts")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--force", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from benchmarks import match_bench

    args = parse_args(argv)
    status = match_bench.setup_django("draft_quality_bench", args)
    if status:
        return status
    from django.db import connection

    from skills_app.accounts.permissions import Role
    from skills_app.accounts.services import user_create_with_roles
    from skills_app.index.adapter import current_index
    from skills_app.people.models import Person
    from skills_app.reports import selectors

    match_bench.wipe(connection)
    started = time.perf_counter()
    match_bench.load(match_bench.generate(args.people))
    with connection.cursor() as cursor:
        # Deterministic shares of the rows by id: drafts, then confirmed drafts.
        cursor.execute(
            "UPDATE people_personskill SET evidence = 'inferred', source = 'role_level' "
            "WHERE (id * 7919) %% 1000 < %s",
            [int(args.drafts * 1000)],
        )
        cursor.execute(
            "UPDATE people_personskill SET source = 'qualification' "
            "WHERE (id * 7919) %% 1000 >= %s AND (id * 7919) %% 1000 < %s",
            [int(args.drafts * 1000), int((args.drafts + args.confirmed) * 1000)],
        )
        cursor.execute("ANALYZE people_personskill")
        cursor.execute("SELECT count(*) FROM people_personskill")
        (rows,) = cursor.fetchone()
    print(
        f"loaded {args.people:,} people, {rows:,} person skills in "
        f"{time.perf_counter() - started:.1f} s"
    )
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="draft-bench-hr").delete()
    hr = user_create_with_roles(username="draft-bench-hr", password="x" * 16, roles={Role.HR})
    started = time.perf_counter()
    index = current_index()
    print(f"matching index built in {time.perf_counter() - started:.1f} s")
    counts, reports = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        confirmed, outstanding = selectors._draft_counts(
            index, Person.objects.all(), selectors.Scope.ALL
        )
        counts.append(time.perf_counter() - started)
        started = time.perf_counter()
        report = selectors.data_quality(user=hr)
        reports.append(time.perf_counter() - started)
    print(
        f"drafts confirmed {sum(confirmed):,}, outstanding {sum(outstanding):,} "
        f"over {len(report.rows):,} units"
    )
    print(
        f"draft counts (one grouped query): median {statistics.median(counts) * 1000:.0f} ms, "
        f"max {max(counts) * 1000:.0f} ms"
    )
    print(
        f"whole data-quality report: median {statistics.median(reports) * 1000:.0f} ms, "
        f"max {max(reports) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
