"""The change sequence under concurrency (PostgreSQL): a change whose
transaction commits after a later change was already seen must still reach the
index. Ids come from a sequence, so they are handed out in one order and
committed in another; the index watches the gap until it fills."""

import datetime as dt
import threading

import pytest
from django.db import connections, transaction

from matching.engine import Requirement
from skills_app.index.adapter import FreshIndex
from skills_app.people.models import PersonSkill, WorkforceChange
from tests.factories import PersonFactory, PersonSkillFactory, SkillFactory

pytestmark = pytest.mark.django_db(transaction=True)
DAY = dt.date(2026, 11, 21).toordinal()


def score_of(index, person, skill):
    scores, _ = index.workforce.scores([Requirement(index.skill_column[skill.pk], 4)], DAY)
    return float(scores[index.position_of(person.pk)])


def test_change_committed_after_a_later_one_is_not_lost(postgres_only):
    python = SkillFactory(name="Python")
    slow, fast = PersonFactory(staff_number="S1"), PersonFactory(staff_number="S2")
    PersonSkillFactory(person=slow, skill=python, level=1)
    PersonSkillFactory(person=fast, skill=python, level=1)
    index = FreshIndex()
    index.current()

    written, release = threading.Event(), threading.Event()
    failures = []

    def slow_writer():
        try:
            with transaction.atomic():
                row = PersonSkill.objects.get(person=slow, skill=python)
                row.level = 4
                row.save()  # takes a change id now, commits later
                written.set()
                release.wait(10)
        except Exception as exc:  # surfaced below: a thread's failure must fail the test
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(10)
    row = PersonSkill.objects.get(person=fast, skill=python)
    row.level = 4
    row.save()  # a later id, committed first

    seen = index.current()
    assert score_of(seen, fast, python) == pytest.approx(1.0)
    assert score_of(seen, slow, python) == pytest.approx(0.25)  # not committed yet
    watched = set(index.gaps)

    release.set()
    thread.join(10)
    assert not failures
    slow_change = WorkforceChange.objects.filter(person_id=slow.pk).latest("id").id
    assert slow_change in watched, "the uncommitted change's id was watched"
    assert score_of(index.current(), slow, python) == pytest.approx(1.0)
    # (Other gaps may remain: ids of earlier tests' rolled-back transactions.)
    assert slow_change not in index.gaps


WORKER = """
import sys, time, django
django.setup()
from matching.engine import Requirement
from skills_app.index.adapter import current_index
skill_id, person_id, DAY = (int(arg) for arg in sys.argv[1:4])
def score():
    index = current_index()
    scores, _ = index.workforce.scores([Requirement(index.skill_column[skill_id], 4)], DAY)
    return float(scores[index.position_of(person_id)])
print(score(), flush=True)
sys.stdin.readline()
started = time.monotonic()
while score() < 1.0 and time.monotonic() - started < 10:
    time.sleep(0.05)
print(score(), time.monotonic() - started, flush=True)
"""


def test_another_process_sees_a_change_within_two_seconds(postgres_only):
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    python = SkillFactory(name="Python")
    ada = PersonFactory(staff_number="S1")
    PersonSkillFactory(person=ada, skill=python, level=1)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "skills_app.settings",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(python.pk), str(ada.pk), str(DAY)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
    )
    try:
        assert float(worker.stdout.readline()) == pytest.approx(0.25)
        row = PersonSkill.objects.get(person=ada, skill=python)
        row.level = 4
        row.save()
        worker.stdin.write("go\n")
        worker.stdin.flush()
        score, seconds = (float(x) for x in worker.stdout.readline().split())
    finally:
        worker.kill()
        worker.wait()
    assert score == pytest.approx(1.0)
    assert seconds < 2.0
