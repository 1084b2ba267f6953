"""Two serving processes sharing one snapshot (issue 17): a small change made
through the people service in one is in the other's search within 2 s.

Each child process is what a gunicorn worker is after ``post_worker_init``:
``warm_index()`` maps the newest snapshot from ``MUSTER_INDEX_DIR`` (building is
forbidden in the child, so a worker that rebuilt instead of mapping, or that
saw the change only by rebuilding, fails the test), then it answers searches
through ``skills_app.roles.search``. Worker A changes Ada's Python from 1 to 4
with ``people.services.person_skill_set``; worker B searches until it sees her
at 100% and reports when. PostgreSQL only: the change feed's ids, the child
processes and the shared database need a real server."""

import datetime as dt
import json
import os
import select
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection

from skills_app.index import snapshot
from tests.factories import PersonFactory, PersonSkillFactory, SkillFactory

pytestmark = pytest.mark.django_db(transaction=True)
AS_OF = dt.date(2026, 11, 21)

WORKER = """
import json, sys, time
import django
django.setup()
import numpy as np
from skills_app.index import adapter

def built_here():
    raise AssertionError("this worker built its own index instead of mapping the snapshot")

adapter.build_workforce_index = built_here
adapter.warm_index()  # what gunicorn's post_worker_init does

from skills_app.people.models import Person
from skills_app.people.services import person_skill_set
from skills_app.roles.search import RequirementSpec, SearchFilters, SearchQuery, search

skill_id, person_id, as_of = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
import datetime as dt
query = SearchQuery(
    requirements=(RequirementSpec(skill_id, 4),),
    filters=SearchFilters(redeployable_only=False),
    threshold=0.0,
    as_of=dt.date.fromisoformat(as_of),
)

def score():
    for hit in search(query).hits:
        if hit.person_id == person_id:
            return hit.score
    return None

def say(**data):
    print(json.dumps(data), flush=True)

index = adapter.current_index()
say(ready=True, score=score(), mapped=isinstance(index.workforce.skills.rows, np.memmap))
for line in sys.stdin:
    command = line.split()
    if command[0] == "set":
        ada = Person.objects.get(pk=person_id)
        person_skill_set(person=ada, skill_id=skill_id, level=int(command[1]))
        say(committed_at=time.time(), score=score())
    elif command[0] == "wait":
        want, deadline = float(command[1]), time.monotonic() + 10
        while (seen := score()) != want and time.monotonic() < deadline:
            time.sleep(0.02)
        say(score=seen, seen_at=time.time(), rebuilds=adapter._fresh.rebuilds)
"""


def start_worker(args, env):
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=django_settings.BASE_DIR,
    )


def answer(worker, timeout: float = 60.0) -> dict:
    ready, _, _ = select.select([worker.stdout], [], [], timeout)
    assert ready, "the worker did not answer in time"
    line = worker.stdout.readline()
    assert line, f"the worker stopped (exit status {worker.poll()})"
    return json.loads(line)


def tell(worker, command: str) -> None:
    worker.stdin.write(command + "\n")
    worker.stdin.flush()


def test_a_change_in_one_worker_is_in_the_others_search_within_two_seconds(
    postgres_only, settings, tmp_path
):
    python = SkillFactory(name="Python")
    ada = PersonFactory(staff_number="S1")
    PersonSkillFactory(person=ada, skill=python, level=1)
    PersonSkillFactory(person=PersonFactory(staff_number="S2"), skill=python, level=3)

    # The task worker writes the snapshot both workers map.
    settings.MUSTER_INDEX_DIR = str(tmp_path / "index")
    why, path = snapshot.write_if_due()
    assert why == "no snapshot yet" and path is not None

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "skills_app.settings",
        "MUSTER_INDEX_DIR": settings.MUSTER_INDEX_DIR,
    }
    args = (python.pk, ada.pk, AS_OF.isoformat())
    workers = [start_worker(args, env), start_worker(args, env)]
    try:
        a, b = workers
        for worker in workers:
            started = answer(worker)
            assert started["mapped"], "the worker's skill columns are not the shared snapshot's"
            assert started["score"] == pytest.approx(0.25)

        tell(a, "set 4")
        changed = answer(a)
        assert changed["score"] == pytest.approx(1.0)  # the worker that made it, at once
        tell(b, "wait 1.0")
        seen = answer(b)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    assert seen["score"] == pytest.approx(1.0)
    assert seen["rebuilds"] == 1, "the other worker rebuilt rather than apply the change"
    assert seen["seen_at"] - changed["committed_at"] < 2.0
    assert time.time() - changed["committed_at"] < 60
