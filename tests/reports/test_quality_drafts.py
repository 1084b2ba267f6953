"""The data-quality report counts draft skills (DESIGN 9) per unit: confirmed
(a skill with a source whose evidence is no longer "inferred") and outstanding
(evidence "inferred"), in one grouped query, for the reader's scope only."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.index.adapter import current_index
from skills_app.people.models import EvidenceKind, Person
from skills_app.reports import selectors, services
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory

pytestmark = pytest.mark.django_db


def drafts_of(person, *, outstanding=0, confirmed=0, typed=0):
    for _ in range(outstanding):
        PersonSkillFactory(person=person, evidence=EvidenceKind.INFERRED, source="role_level")
    for _ in range(confirmed):
        PersonSkillFactory(person=person, evidence=EvidenceKind.SELF, source="qualification")
    for _ in range(typed):  # typed in by the person: no source, not a draft
        PersonSkillFactory(person=person, evidence=EvidenceKind.MANAGER_VERIFIED)


@pytest.fixture
def org(make_user):
    dept = OrgUnitFactory(name="Dept")
    ops = OrgUnitFactory(name="Ops", parent=dept)
    digital = OrgUnitFactory(name="Digital", parent=dept)
    mgr_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="boss")
    mgr = PersonFactory(org_unit=ops, user=mgr_user)
    report = PersonFactory(org_unit=ops, line_manager=mgr)
    other = PersonFactory(org_unit=digital)
    drafts_of(mgr, outstanding=1, typed=2)
    drafts_of(report, outstanding=2, confirmed=1)
    drafts_of(other, outstanding=3, confirmed=4, typed=1)
    return {
        "hr": make_user(Role.HR, username="hr"),
        "mgr": mgr_user,
        "ops": ops.path,
        "digital": digital.path,
    }


def counts(report):
    return {r.unit: (r.drafts_confirmed, r.drafts_outstanding) for r in report.rows}


def test_hr_sees_drafts_confirmed_and_outstanding_per_unit(org):
    report = selectors.data_quality(user=org["hr"])
    assert counts(report) == {org["ops"]: (1, 3), org["digital"]: (4, 3)}
    assert (report.total.drafts_confirmed, report.total.drafts_outstanding) == (5, 6)
    rolled = selectors.data_quality(user=org["hr"], depth=0)
    assert counts(rolled) == {"Dept": (5, 6)}


def test_a_line_manager_counts_their_team_only(org):
    report = selectors.data_quality(user=org["mgr"])
    # The manager's report only (a manager's team is the people who report to them).
    assert counts(report) == {org["ops"]: (1, 2)}


def test_the_draft_counts_are_one_grouped_query(org):
    index = current_index()
    with CaptureQueriesContext(connection) as queries:
        confirmed, outstanding = selectors._draft_counts(
            index, Person.objects.all(), selectors.Scope.ALL
        )
    assert len(queries) == 1
    assert "GROUP BY" in queries[0]["sql"]
    assert (sum(confirmed), sum(outstanding)) == (5, 6)


def test_the_page_and_the_download_show_the_counts(org, client):
    client.force_login(org["hr"])
    page = client.get(reverse("reports:data_quality"), {"min_people": "0"}).content.decode()
    assert "Draft skills confirmed" in page and "Draft skills to check" in page
    by_outstanding = client.get(
        reverse("reports:data_quality"),
        {"min_people": "0", "sort": "drafts_confirmed", "dir": "desc"},
    ).content.decode()
    assert by_outstanding.index(org["digital"]) < by_outstanding.index(org["ops"])
    response = client.post(reverse("reports:data_quality_export", kwargs={"fmt": "csv"}))
    body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == services.QUALITY_COLUMNS
    assert rows[0][-2:] == ["drafts_confirmed", "drafts_outstanding"]
    assert {r[0]: r[-2:] for r in rows[1:]} == {org["ops"]: ["1", "3"], org["digital"]: ["4", "3"]}
    api = client.get("/api/v1/reports/data-quality").json()
    assert (api["total"]["drafts_confirmed"], api["total"]["drafts_outstanding"]) == (5, 6)
