"""An honest load test (issue 17): the production configuration, 50 planners.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/muster_bench_load \\
        .venv/bin/python benchmarks/load_bench.py --people 100000

For each size (``--people``, or BENCH_LOAD_PEOPLE; default 100,000):

1. generates and loads a workforce with ``match_bench``'s generator, 50 planners
   (API token and signed-in session each) and one HR user;
2. starts the production configuration exactly as the README documents it:
   ``gunicorn -c gunicorn.conf.py skills_app.wsgi`` (2 workers) and
   ``manage.py run_worker`` with ``MUSTER_INDEX_DIR`` set, on loopback only;
   ``--command`` replaces the gunicorn command (to run an older configuration,
   such as ``gunicorn skills_app.wsgi --workers 2``, in the same session);
3. measures cold start: seconds until ``/healthz/ready`` answers 200 (or, for an
   older configuration without it, ``/healthz``), the first search's time after
   that, and requests that failed meanwhile;
4. runs locust headless (``benchmarks/locustfile.py``): 50 planners for
   ``--seconds`` (default 120), a mix of saved roles and inline requirements
   through ``POST /api/v1/match`` and the search page; throughput, p50/p95/p99
   and errors per kind, and total PSS of every server process at the end;
5. runs it again with an HR import of 50,000 person-skill rows submitted half way.

Loopback only; nothing beyond this machine. It TRUNCATEs the tables it fills:
give it a database of its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
PLANNERS = 50
PORT = 8099
IMPORT_ROWS = 50_000


def get(url: str, timeout: float = 10.0) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            response.read()
            return response.status, time.perf_counter() - started
    except urllib.error.HTTPError as exc:
        return exc.code, time.perf_counter() - started
    except (urllib.error.URLError, OSError):
        return 0, time.perf_counter() - started


def pss_mib(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            kids = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            found.append(kid)
            frontier.append(kid)
    return found


def setup_users() -> dict:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from skills_app.accounts.permissions import Role
    from skills_app.accounts.services import api_token_create, user_create_with_roles
    from skills_app.roles.models import RoleProfile
    from taxonomy.models import Skill

    users = []
    for number in range(PLANNERS):
        user = user_create_with_roles(
            username=f"loadbench-planner-{number}", password=None, roles={Role.PLANNER}
        )
        _, token = api_token_create(user=user, name="load bench")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        users.append({"token": token, "session": session.session_key})
    hr = user_create_with_roles(username="loadbench-hr", password=None, roles={Role.HR})
    roles = list(RoleProfile.objects.order_by("pk").values_list("code", flat=True)[:100])
    skills = list(Skill.objects.order_by("pk").values_list("pk", flat=True)[:600])
    return {"users": users, "roles": roles, "skills": skills, "hr": hr.pk}


def import_file(rows: int) -> bytes:
    from skills_app.people.models import Person
    from taxonomy.models import Skill

    staff = list(Person.objects.order_by("pk").values_list("staff_number", flat=True)[:rows])
    skills = list(Skill.objects.order_by("pk").values_list("uri", flat=True)[:50])
    lines = ["staff_number,skill,level,last_used,evidence"]
    for i in range(rows):
        lines.append(f"{staff[i % len(staff)]},{skills[(i * 7) % len(skills)]},3,current,self")
    return ("\n".join(lines) + "\n").encode()


class Servers:
    def __init__(self, command: str, env: dict):
        self.env = env
        self.web = subprocess.Popen(
            shlex.split(command),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def pids(self) -> list[int]:
        return tree(self.web.pid) + tree(self.worker.pid)

    def stop(self) -> None:
        for proc in (self.web, self.worker):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in (self.web, self.worker):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def cold_start(base: str, ready_path: str, limit: float = 900.0) -> dict:
    """Seconds to ready, then the first search's time; failures while waiting."""
    started = time.perf_counter()
    failed = 0
    while time.perf_counter() - started < limit:
        status, _ = get(base + ready_path, timeout=5)
        if status == 200:
            break
        if status not in (0, 503):
            failed += 1
        time.sleep(0.5)
    ready = time.perf_counter() - started
    return {"ready_s": ready, "failed_while_starting": failed}


def first_search(base: str, setup: dict) -> float:
    body = json.dumps({"role": setup["roles"][0], "limit": 50}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        base + "/api/v1/match",
        data=body,
        headers={
            "Authorization": f"Bearer {setup['users'][0]['token']}",
            "Content-Type": "application/json",
        },
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
            response.read()
    except (urllib.error.URLError, OSError):
        return float("nan")
    return time.perf_counter() - started


def run_locust(base: str, users_file: str, seconds: int, out_prefix: str) -> dict:
    subprocess.run(
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(ROOT / "benchmarks" / "locustfile.py"),
            "--headless",
            "-u",
            str(PLANNERS),
            "-r",
            str(PLANNERS),
            "-t",
            f"{seconds}s",
            "--host",
            base,
            "--csv",
            out_prefix,
            "--only-summary",
            "--loglevel",
            "ERROR",
        ],
        env={**os.environ, "MUSTER_LOAD_USERS": users_file},
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stats = {}
    with open(f"{out_prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            stats[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
            }
    return stats


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", default=os.environ.get("BENCH_LOAD_PEOPLE", "100000"))
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument(
        "--command",
        default=f"{VENV_BIN / 'gunicorn'} -c gunicorn.conf.py --bind 127.0.0.1:{PORT} "
        "skills_app.wsgi",
    )
    parser.add_argument("--ready-path", default="/healthz/ready")
    parser.add_argument("--skills", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    parser.add_argument("--database-url")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("THROTTLE_SEARCH_RATE", "1000000/s")
    from benchmarks import match_bench

    refused = match_bench.setup_django("load_bench", args)
    if refused:
        return refused
    from skills_app.imports.service import import_submit

    base = f"http://127.0.0.1:{PORT}"
    results = []
    for people in [int(x) for x in args.people.split(",") if x.strip()]:
        if not args.reuse:
            match_bench.load(match_bench.generate(people, skills=args.skills, seed=args.seed))
        setup = setup_users()
        with tempfile.TemporaryDirectory(prefix="muster-load-") as scratch:
            users_file = str(Path(scratch) / "users.json")
            Path(users_file).write_text(json.dumps(setup), encoding="utf-8")
            env = {
                **os.environ,
                "MUSTER_INDEX_DIR": str(Path(scratch) / "index"),
                "DEBUG": "false",
                "MUSTER_BIND": f"127.0.0.1:{PORT}",
            }
            servers = Servers(args.command, env)
            try:
                start = cold_start(base, args.ready_path)
                start["first_search_s"] = first_search(base, setup)
                steady = run_locust(base, users_file, args.seconds, f"{scratch}/steady")
                steady_pss = pss_mib(servers.pids())
                bulk = None
                if not args.skip_import:
                    content = import_file(IMPORT_ROWS)
                    from django.contrib.auth import get_user_model

                    hr = get_user_model().objects.get(pk=setup["hr"])

                    def submit_half_way(content=content, hr=hr):
                        time.sleep(args.seconds / 2)
                        import_submit(
                            kind="person-skills",
                            filename="load-bench.csv",
                            content=content,
                            dry_run=False,
                            user=hr,
                        )

                    thread = threading.Thread(target=submit_half_way, daemon=True)
                    thread.start()
                    bulk = run_locust(base, users_file, args.seconds, f"{scratch}/bulk")
                    thread.join()
            finally:
                servers.stop()
        results.append((people, start, steady, steady_pss, bulk))
    load = os.getloadavg()
    print(f"command: {args.command}")
    print(f"uptime load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for people, start, steady, pss, bulk in results:
        print(
            f"\n{people:,} people: ready after {start['ready_s']:.1f} s "
            f"({start['failed_while_starting']} failed while starting), first search "
            f"{start['first_search_s']:.2f} s; total PSS of the server processes {pss:,.0f} MiB"
        )
        for label, stats in (("steady", steady), ("import half way", bulk)):
            if not stats:
                continue
            print(f"  {label}:")
            print(
                f"    {'kind':<18} {'requests':>8} {'fail':>5} {'rps':>6} "
                f"{'p50':>6} {'p95':>6} {'p99':>6} (ms)"
            )
            for name, s in stats.items():
                print(
                    f"    {name:<18} {s['requests']:>8} {s['failures']:>5} {s['rps']:>6.1f} "
                    f"{s['p50']:>6.0f} {s['p95']:>6.0f} {s['p99']:>6.0f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
