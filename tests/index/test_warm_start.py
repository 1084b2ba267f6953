"""Start warm, never stop answering (issue 17): readiness, the build before
traffic, and bulk changes rebuilt off the request path."""

import threading
import time

import pytest

from skills_app.index import adapter
from skills_app.index.adapter import FreshIndex
from skills_app.index.changes import workforce_changed
from skills_app.people.models import ChangeScope
from tests.factories import PersonFactory


@pytest.fixture
def fresh(monkeypatch):
    """A fresh, empty per-process index for this test, put back afterwards."""
    index = FreshIndex()
    monkeypatch.setattr(adapter, "_fresh", index)
    return index


@pytest.mark.django_db
def test_ready_answers_503_until_the_index_is_loaded(client, fresh):
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "starting"
    adapter.current_index()
    assert client.get("/healthz/ready").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_warm_index_builds_before_traffic_and_beats_the_heart(fresh, monkeypatch):
    beats = []
    real_build = adapter.build_workforce_index

    def slow_build():
        time.sleep(0.35)
        return real_build()

    monkeypatch.setattr(adapter, "build_workforce_index", slow_build)
    seconds = adapter.warm_index(heartbeat=lambda: beats.append(1), interval=0.1)
    assert fresh.ready and fresh.background
    assert seconds >= 0.35
    assert len(beats) >= 2  # the arbiter heard from the worker while it built


@pytest.mark.django_db(transaction=True)
def test_a_bulk_change_is_rebuilt_in_the_background_while_searches_go_on(fresh, monkeypatch):
    PersonFactory(staff_number="S1")
    fresh.background = True
    first = fresh.current()
    assert len(first.person_ids) == 1

    release = threading.Event()
    real_build = adapter.build_workforce_index

    def held_build():
        release.wait(10)
        return real_build()

    monkeypatch.setattr(adapter, "build_workforce_index", held_build)
    PersonFactory(staff_number="S2")
    workforce_changed(ChangeScope.ALL)
    started = time.perf_counter()
    during = fresh.current()
    # The search was answered at once, from the index it had, while the build waits.
    assert time.perf_counter() - started < 2
    assert during is first and fresh.rebuilding
    release.set()
    fresh._builder.join(10)
    after = fresh.current()
    assert after is not first
    assert len(after.person_ids) == 2
    assert fresh.rebuilds == 2


@pytest.mark.django_db
def test_without_background_a_bulk_change_rebuilds_at_once(fresh):
    PersonFactory(staff_number="S1")
    first = fresh.current()
    PersonFactory(staff_number="S2")
    workforce_changed(ChangeScope.ALL)
    assert len(fresh.current().person_ids) == 2
    assert fresh.current() is not first


@pytest.mark.django_db
def test_a_serving_process_reads_locations_from_its_index(fresh, django_assert_num_queries):
    from skills_app.people.selectors import known_locations

    PersonFactory(location="York")
    PersonFactory(location="Leeds")
    assert known_locations() == ["Leeds", "York"]  # from the database, before the index
    fresh.current()
    with django_assert_num_queries(1):  # the change-feed check, not a scan of everyone
        assert known_locations() == ["Leeds", "York"]
