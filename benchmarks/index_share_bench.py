"""One index for every process (issue 17): build vs map, and memory across processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/muster_bench_share \\
        .venv/bin/python benchmarks/index_share_bench.py --people 100000

For each size (``--people``, or BENCH_SHARE_PEOPLE; default 100,000):

- generates and loads a workforce with ``match_bench``'s generator (about 15
  skills a person, role history, relations);
- times one build from the database (what every process did before) and the
  snapshot write (what the task worker now does once);
- starts ``--processes`` fresh Python processes (default 2, like two gunicorn
  workers) that each get their index (a) by building it from the database and
  (b) by mapping the snapshot, run the same 20 searches, and report their time to
  a searchable index and their memory: RSS, and PSS (each shared page counted
  once across the processes that map it), from ``/proc/<pid>/smaps_rollup``.

Prints one table. It TRUNCATEs the tables it fills: give it a database of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skills_app.settings")
import django
django.setup()
import datetime as dt
import numpy as np
from matching.engine import Requirement
from skills_app.index import adapter
started = time.perf_counter()
index = adapter.current_index()
ready = time.perf_counter() - started
rng = np.random.default_rng(3)
columns = rng.choice(len(index.skill_ids), size=(20, 12), replace=True)
t = time.perf_counter()
for row in columns:
    index.workforce.rank([Requirement(int(c), 3) for c in row], as_of=dt.date(2026, 11, 21))
searches = (time.perf_counter() - t) / 20 * 1000
print(json.dumps({{"ready_s": ready, "search_ms": searches}}), flush=True)
sys.stdin.readline()  # stay alive (mapped) until the parent has read our memory
"""


def memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1]) / 1024
    return values.get("Rss:", 0.0), values.get("Pss:", 0.0)


def children(count: int, env: dict) -> dict:
    """Start ``count`` processes at once; their time to an index, search time, memory."""
    script = CHILD.format(root=str(ROOT))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(count)
    ]
    reports = [json.loads(p.stdout.readline()) for p in procs]
    mem = [memory(p.pid) for p in procs]
    for p in procs:
        p.stdin.write("\n")
        p.stdin.flush()
        p.wait(60)
    return {
        "ready_s": max(r["ready_s"] for r in reports),
        "search_ms": sum(r["search_ms"] for r in reports) / count,
        "rss_mib": sum(m[0] for m in mem),
        "pss_mib": sum(m[1] for m in mem),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", default=os.environ.get("BENCH_SHARE_PEOPLE", "100000"))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--skills", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    from benchmarks import match_bench

    refused = match_bench.setup_django("index_share_bench", args)
    if refused:
        return refused
    from django.db import connection

    from skills_app.index import snapshot
    from skills_app.index.adapter import FreshIndex

    rows = []
    for people in [int(x) for x in args.people.split(",") if x.strip()]:
        ds = match_bench.generate(people, skills=args.skills, seed=args.seed)
        match_bench.load(ds)
        del ds
        started = time.perf_counter()
        built = FreshIndex.build_from_database()
        build_s = time.perf_counter() - started
        with tempfile.TemporaryDirectory(prefix="muster-index-") as root:
            started = time.perf_counter()
            path = snapshot.write(built, Path(root))
            write_s = time.perf_counter() - started
            size_mib = sum(f.stat().st_size for f in path.iterdir()) / 2**20
            del built
            env = {**os.environ, "MUSTER_INDEX_DIR": ""}
            own = children(args.processes, env)
            env["MUSTER_INDEX_DIR"] = root
            shared = children(args.processes, env)
        rows.append((people, build_s, write_s, size_mib, own, shared))
    if not args.keep:
        match_bench.wipe(connection)
    load = os.getloadavg()
    print(f"uptime load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"{'people':>9} {'build s':>8} {'write s':>8} {'snap MiB':>9} | "
        f"{'each builds: ready s':>21} {'PSS MiB':>8} {'RSS MiB':>8} {'search ms':>9} | "
        f"{'mapped: ready s':>16} {'PSS MiB':>8} {'RSS MiB':>8} {'search ms':>9}"
    )
    for people, build_s, write_s, size_mib, own, shared in rows:
        print(
            f"{people:>9,} {build_s:>8.1f} {write_s:>8.1f} {size_mib:>9.0f} | "
            f"{own['ready_s']:>21.2f} {own['pss_mib']:>8.0f} {own['rss_mib']:>8.0f} "
            f"{own['search_ms']:>9.1f} | {shared['ready_s']:>16.2f} {shared['pss_mib']:>8.0f} "
            f"{shared['rss_mib']:>8.0f} {shared['search_ms']:>9.1f}"
        )
    print(f"({args.processes} processes started at once; PSS counts shared pages once.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
