"""Issue 14's taxonomy polish: the duplicates page (frameworks, holder counts, the
merge direction, no recomputation after a merge), the stewards' queue matching
proposals like the skill forms do, the label index warmed at server start-up, and
the autocomplete's "Searching…" markup."""

import importlib
import re
import sys
import threading

import pytest
from django.core.cache import cache
from django.urls import reverse

from skills_app.accounts.permissions import Role
from taxonomy import labels, selectors
from taxonomy.models import Skill, SkillAlias, SkillProposal, Source
from taxonomy.services import taxonomy_changed, taxonomy_version
from tests.factories import PersonSkillFactory, RoleRequirementFactory

DUPLICATES = reverse("taxonomy:duplicates")
QUEUE = reverse("taxonomy:proposals")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def steward(client, make_user):
    client.force_login(make_user(Role.STEWARD, username="steward"))
    return client


def text(response) -> str:
    flat = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r" ([).,:;?])", r"\1", flat)


def keep_and_merge_cells(page: str) -> list[tuple[str, str]]:
    """Per row of the duplicates table: (kept skill's name, merged skill's name)."""
    rows = re.findall(
        r'data-duplicate-side="keep">\s*<a[^>]*>([^<]+)</a>.*?'
        r'data-duplicate-side="merge">\s*<a[^>]*>([^<]+)</a>',
        page,
        re.S,
    )
    return rows


# --- duplicates ---------------------------------------------------------------------


@pytest.fixture
def customer_service(db):
    # ESCO's lowercase skill is older (smaller id); the local one is held far more.
    esco = Skill.objects.create(
        name="customer service", uri="http://data.europa.eu/esco/skill/cs", source=Source.ESCO
    )
    local = Skill.objects.create(name="Customer service", uri="urn:t:cs", source=Source.LOCAL)
    for _ in range(3):
        PersonSkillFactory(skill=local)
    PersonSkillFactory(skill=esco)
    RoleRequirementFactory(skill=esco)
    taxonomy_changed()
    return esco, local


@pytest.mark.django_db
def test_duplicates_show_framework_and_counts_and_keep_the_more_used(steward, customer_service):
    esco, local = customer_service
    response = steward.get(DUPLICATES)
    page = response.content.decode()
    assert keep_and_merge_cells(page) == [("Customer service", "customer service")]
    flat = text(response)
    assert "Local 3 people hold it; 0 role requirements" in flat
    assert "ESCO 1 person holds it; 1 role requirement" in flat
    merge_url = reverse("taxonomy:skill_merge", args=[esco.pk])
    assert f'href="{merge_url}?target={local.pk}"' in page


@pytest.mark.django_db
def test_merge_direction_follows_holders_then_roles_then_age(steward, customer_service):
    esco, local = customer_service
    for _ in range(3):
        PersonSkillFactory(skill=esco)  # now 4 hold ESCO's, 3 the local one
    assert keep_and_merge_cells(steward.get(DUPLICATES).content.decode()) == [
        ("customer service", "Customer service")
    ]
    a = Skill.objects.create(name="stakeholder management", uri="urn:t:sm1")
    b = Skill.objects.create(name="stakeholder managment", uri="urn:t:sm2")
    taxonomy_changed()
    page = steward.get(DUPLICATES).content.decode()
    # Nobody holds either: the older skill stays; a role requirement tips it.
    assert ("stakeholder management", "stakeholder managment") in keep_and_merge_cells(page)
    RoleRequirementFactory(skill=b)
    page = steward.get(DUPLICATES).content.decode()
    assert ("stakeholder managment", "stakeholder management") in keep_and_merge_cells(page)
    assert a.pk < b.pk


@pytest.mark.django_db
def test_a_merge_carries_the_list_forward_without_recomputing(
    steward, customer_service, monkeypatch
):
    esco, local = customer_service
    Skill.objects.create(name="stakeholder management", uri="urn:t:sm1")
    Skill.objects.create(name="stakeholder managment", uri="urn:t:sm2")
    taxonomy_changed()
    assert len(keep_and_merge_cells(steward.get(DUPLICATES).content.decode())) == 2

    calls = []
    real = selectors.find_duplicate_pairs

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, "find_duplicate_pairs", counting)
    response = steward.post(
        reverse("taxonomy:skill_merge", args=[esco.pk]), {"target": str(local.pk)}
    )
    assert response.status_code == 302
    rows = keep_and_merge_cells(steward.get(DUPLICATES).content.decode())
    assert rows == [("stakeholder management", "stakeholder managment")]
    assert calls == []  # the page came from the carried-forward list

    # Anything else changing the active skills (a new one) means a fresh computation.
    before = taxonomy_version()
    Skill.objects.create(name="stakeholder managemnt", uri="urn:t:sm3")
    cross = selectors.duplicate_pairs_after_merge(
        before=before, after=taxonomy_version(), merged_id=esco.pk
    )
    assert cross is False
    steward.get(DUPLICATES)
    assert calls == [1]


# --- the stewards' queue ----------------------------------------------------------------


@pytest.fixture
def programming_skills(db):
    python = Skill.objects.create(name="Python (computer programming)", uri="urn:t:py")
    SkillAlias.objects.create(skill=python, label="Python")
    for name in [
        "ICT system programming",
        "monitor programming",
        "computer programming",
        "web programming",
        "airport planning",
        "Data visualisation",
    ]:
        Skill.objects.create(name=name, uri=f"urn:t:{name}")
    taxonomy_changed()
    return python


def queue_matches(page: str) -> list[list[str]]:
    cells = re.findall(
        r'<ul class="govuk-list govuk-body-s app-list--compact">(.*?)</ul>', page, re.S
    )
    return [re.findall(r'<a class="govuk-link" href="/skills/\d+/">([^<]+)</a>', c) for c in cells]


@pytest.mark.django_db
def test_queue_offers_the_skill_a_misspelt_word_names(steward, programming_skills):
    SkillProposal.objects.create(name="Pyhton programming")
    page = steward.get(QUEUE).content.decode()
    [matches] = queue_matches(page)
    assert matches[0] == "Python (computer programming)"
    assert "ICT system programming" in matches  # the whole name's near misses follow
    assert len(matches) <= selectors.PROPOSAL_MATCHES


@pytest.mark.django_db
def test_queue_uses_the_forms_decision(steward, programming_skills, monkeypatch):
    SkillProposal.objects.create(name="Data visualisaton")
    response = steward.get(QUEUE)
    assert "Likely the same Data visualisation" in text(response)
    # It is the forms' own decide_skill that decides.
    seen = []
    real = selectors.decide_skill

    def spy(query, **kwargs):
        seen.append(query)
        return real(query, **kwargs)

    monkeypatch.setattr(selectors, "decide_skill", spy)
    steward.get(QUEUE)
    assert "Data visualisaton" in seen


# --- the label index, warm at start-up -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_warm_up_builds_the_label_index_and_the_duplicates(monkeypatch):
    Skill.objects.create(name="stakeholder management", uri="urn:t:sm1")
    Skill.objects.create(name="stakeholder managment", uri="urn:t:sm2")
    taxonomy_changed()
    monkeypatch.setattr(labels, "_cached", None)
    labels.warm_in_background().join(timeout=60)
    assert labels._cached is not None and labels._cached[0] == taxonomy_version()

    def no_rebuild():
        raise AssertionError("the first search rebuilt the index")

    monkeypatch.setattr(labels, "_build", no_rebuild)
    assert labels.search_skills("stakeholder", limit=2)
    monkeypatch.setattr(selectors, "find_duplicate_pairs", lambda *a, **k: no_rebuild())
    assert len(selectors.duplicate_pairs()) == 1


def test_the_wsgi_module_starts_the_warm_up(monkeypatch):
    """Only servers import skills_app.wsgi (runserver, gunicorn): tests and other
    management commands never do, so they never pay for the warm-up."""
    started = []
    monkeypatch.setattr(labels, "warm_in_background", lambda: started.append(1))
    monkeypatch.delitem(sys.modules, "skills_app.wsgi", raising=False)
    importlib.import_module("skills_app.wsgi")
    assert started == [1]


def test_a_forked_child_gets_a_fresh_lock(monkeypatch):
    # gunicorn --preload forks after the warm-up thread may have taken the lock.
    monkeypatch.setattr(labels, "_warm_requested", False)
    held = threading.Lock()
    held.acquire()
    monkeypatch.setattr(labels, "_lock", held)
    labels._after_fork_in_child()
    assert labels._lock is not held and labels._lock.acquire(blocking=False)
    labels._lock.release()


# --- the autocomplete's feedback ---------------------------------------------------------


@pytest.mark.django_db
def test_autocomplete_has_a_live_region_and_a_searching_message(client_for):
    page = client_for(Role.STAFF).get(reverse("taxonomy:home")).content.decode()
    status = re.search(r"<div[^>]*data-autocomplete-status[^>]*>", page).group(0)
    assert 'role="status"' in status and 'aria-live="polite"' in status
    searching = re.search(r"<p[^>]*data-autocomplete-searching[^>]*>([^<]*)</p>", page)
    assert searching and searching.group(1) == "Searching…"
    assert " hidden" in searching.group(0)  # shown by the script only while waiting
