"""One home per rule (DESIGN.md section 4 rule 12): one hand-computed world run
through the search API, an explanation, a surge solve and the supply report,
which must all give the same numbers. Any copy of a rule that drifts from the
engine's one evaluation makes one of these disagree.

The role "surge-analyst" needs Python at 4 (weight 2, essential), SQL at 4
(weight 1) and Programming at 2 (weight 1); total weight 4. Python is a narrower
skill of Programming (strength 0.8). Worked out by hand:

- Ann: Python 4 (certified), SQL 2 last used 1,461 days ago (4.0 years: recency
  0.8, effective 1.6, self-assessed); Programming through Python 0.8 x 4 = 3.2.
  Credits 1, 0.4, 1: S = (2 + 0.4 + 1) / 4 = 85%. Essentials met. Gaps 0, 3, 0.
  Confidence: (2 x 1.0 + 0.4 x 0.6 + 1 x 1.0) / 3.4 = 95.3%, reviewed 10 days
  ago: A. In by score.
- Ben: Python 3 (manager-verified), SQL 4, Programming 2 (self), but Python
  stands in for Programming better (0.8 x 3 = 2.4): credits 0.75, 1, 1: S = 3.5
  / 4 = 87.5%. Essentials not met. Gaps 1, 0, 0. Confidence (1.5 x 0.9 + 1 x 0.6
  + 1 x 0.9) / 3.5 = 81.4%, never reviewed: x 0.8 = 65.1%: C. In by score.
- Cat: SQL 1 only: S = 0.25 / 4 = 6.25%; held "lead-analyst" (Python 4, SQL 4,
  Programming 2: coverage 100%) until a year ago: rank score 16.25%. In through
  a recent role. Gaps 4, 3, 2.
- Dan: Python 3, SQL 2; Programming through Python 0.8 x 3 = 2.4, credit 1:
  S = (1.5 + 0.5 + 1) / 4 = 75%. He holds "assoc-analyst" now (Python 3, SQL 3,
  Programming 1: coverage (1.5 + 0.75 + 0.5) / 4 = 68.75%, under 80%: a junior
  version does not count). Not in at 80%. One level of Python adds 12.5%:
  87.5%, so he is one level away.
- Eve: Python 2: Programming through Python 1.6 of 2 = 0.8: S = (1 + 0 + 0.8) /
  4 = 45%. Not in, not one level away (best gain 12.5%).
"""

import csv
import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.people.models import EvidenceKind, RoleHistory
from skills_app.roles.models import RoleRequirement, RoleSource
from skills_app.roles.search import RequirementSpec, SearchQuery, explain_person
from skills_app.surge import services as surge
from skills_app.surge.models import Allocation
from taxonomy.models import RelationKind, SkillRelation
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleProfileFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db

SCORES = {"ANN": 0.85, "BEN": 0.875, "CAT": 0.0625, "DAN": 0.75, "EVE": 0.45}
GAPS = {  # levels of training needed in Python, SQL, Programming
    "ANN": {"Python": 0, "SQL": 3, "Programming": 0},
    "BEN": {"Python": 1, "SQL": 0, "Programming": 0},
    "CAT": {"Python": 4, "SQL": 3, "Programming": 2},
}


def role(code, title, levels):
    profile = RoleProfileFactory(code=code, title=title, source=RoleSource.LOCAL)
    return profile, levels


@pytest.fixture
def world():
    today = timezone.localdate()
    python = SkillFactory(name="Python", uri="urn:test:python")
    sql = SkillFactory(name="SQL", uri="urn:test:sql")
    programming = SkillFactory(name="Programming", uri="urn:test:programming")
    SkillRelation.objects.create(
        from_skill=programming, to_skill=python, kind=RelationKind.NARROWER
    )
    skills = (python, sql, programming)
    roles = {}
    for code, title, levels, weights in (
        ("surge-analyst", "Surge analyst", (4, 4, 2), (2, 1, 1)),
        ("lead-analyst", "Lead analyst", (4, 4, 2), (1, 1, 1)),
        ("assoc-analyst", "Associate analyst", (3, 3, 1), (1, 1, 1)),
    ):
        profile = RoleProfileFactory(code=code, title=title, source=RoleSource.LOCAL)
        for skill, level, weight in zip(skills, levels, weights, strict=True):
            RoleRequirement.objects.create(
                role=profile,
                skill=skill,
                level=level,
                weight=weight,
                essential=code == "surge-analyst" and skill == python,
            )
        roles[code] = profile
    unit = OrgUnitFactory(name="Operations")
    people = {}
    for staff_number in SCORES:
        people[staff_number] = PersonFactory(
            staff_number=staff_number,
            org_unit=unit,
            redeployable=True,
            protected=False,
            profile_reviewed_at=timezone.now() - dt.timedelta(days=10)
            if staff_number == "ANN"
            else None,
        )

    def hold(sn, skill, level, evidence=EvidenceKind.SELF, last_used=None):
        PersonSkillFactory(
            person=people[sn], skill=skill, level=level, evidence=evidence, last_used=last_used
        )

    hold("ANN", python, 4, EvidenceKind.CERTIFIED)
    hold("ANN", sql, 2, last_used=today - dt.timedelta(days=1461))
    hold("BEN", python, 3, EvidenceKind.MANAGER_VERIFIED)
    hold("BEN", sql, 4)
    hold("BEN", programming, 2)
    hold("CAT", sql, 1)
    hold("DAN", python, 3)
    hold("DAN", sql, 2)
    hold("EVE", python, 2)
    RoleHistory.objects.create(
        person=people["CAT"],
        title="Lead analyst",
        role_profile=roles["lead-analyst"],
        start=today - dt.timedelta(days=1500),
        end=today - dt.timedelta(days=365),
    )
    RoleHistory.objects.create(
        person=people["DAN"],
        title="Associate analyst",
        role_profile=roles["assoc-analyst"],
        start=today - dt.timedelta(days=400),
    )
    return {"roles": roles, "people": people, "skills": skills, "today": today}


def test_the_search_api_gives_the_hand_computed_numbers(client_for, world):
    client = client_for(Role.PLANNER)
    body = {"role": "surge-analyst", "threshold": 0.8, "filters": {"redeployable_only": False}}
    data = client.post("/api/v1/match", body, content_type="application/json").json()
    assert (data["total"], data["total_by_score"], data["total_by_prior_role"]) == (3, 2, 1)
    results = {r["staff_number"]: r for r in data["results"]}
    assert list(results) == ["BEN", "ANN", "CAT"]  # rule 8: rank score 87.5, 85, 16.25
    for sn in ("ANN", "BEN", "CAT"):
        assert results[sn]["score"] == pytest.approx(SCORES[sn])
        assert {r["skill"]["name"]: r["gap"] for r in results[sn]["requirements"]} == GAPS[sn]
    assert {sn: r["qualifies_by"] for sn, r in results.items()} == {
        "ANN": "score",
        "BEN": "score",
        "CAT": "prior_role",
    }
    assert results["CAT"]["rank_score"] == pytest.approx(0.1625)
    assert results["CAT"]["prior_role"]["coverage"] == 1.0
    assert (results["ANN"]["confidence"], results["BEN"]["confidence"]) == ("A", "C")
    assert [results[sn]["meets_essentials"] for sn in ("ANN", "BEN")] == [True, False]
    [programming] = [
        r for r in results["ANN"]["requirements"] if r["skill"]["name"] == "Programming"
    ]
    assert programming["via_skill"]["name"] == "Python"
    assert programming["effective_level"] == pytest.approx(3.2)


def test_an_explanation_gives_the_same_numbers(client_for, world, make_user):
    profile = world["roles"]["surge-analyst"]
    specs = tuple(
        RequirementSpec(r.skill_id, r.level, r.weight, r.essential)
        for r in profile.requirements.all()
    )
    planner = make_user(Role.PLANNER, username="explainer")
    for sn, qualifies in (("ANN", "score"), ("CAT", "prior_role"), ("DAN", None)):
        explained = explain_person(
            actor=planner,
            query=SearchQuery(requirements=specs, role_code=profile.code),
            person_id=world["people"][sn].pk,
        )
        assert explained.hit.score == pytest.approx(SCORES[sn])
        assert explained.hit.qualifies_by == qualifies
        assert explained.as_of == world["today"]
    assert explained.hit.prior_role is None  # Dan's current junior role does not count
    ann = explain_person(
        actor=planner,
        query=SearchQuery(requirements=specs, role_code=profile.code),
        person_id=world["people"]["ANN"].pk,
    )
    assert ann.confidence_value == pytest.approx(3.24 / 3.4)
    assert ann.profile_stale is False
    page = client_for(Role.PLANNER).get(
        reverse("roles:explanation", args=[profile.code, world["people"]["BEN"].public_id])
    )
    text = " ".join(re.sub(r"<[^>]+>", " ", page.content.decode()).split())
    assert "How the 87.5% match was worked out" in text
    assert f"against role surge-analyst (Surge analyst), version {profile.version}" in text
    assert "The evidence behind the credited skills is worth 81.4%" in text
    assert (
        "the profile has never been reviewed, 12 months or more before, "
        "so the evidence counts at 80%: 65.1%" in text
    )
    assert "Yes, by score" in text
    # Opened at another minimum (as from a scenario line at 90%), it is judged there.
    at_90 = client_for(Role.PLANNER).get(
        reverse("roles:explanation", args=[profile.code, world["people"]["BEN"].public_id])
        + "?threshold=90"
    )
    assert "No: the match is below the minimum" in at_90.content.decode()


def test_a_surge_solve_gives_the_same_numbers(world, client_for):
    client = client_for(Role.PLANNER)
    planner = get_user_model().objects.get(username="planner")
    scenario = surge.scenario_create(
        actor=planner,
        name="Contract",
        release_cap=1.0,
        lines=[surge.LineSpec(role_id=world["roles"]["surge-analyst"].pk, headcount=5)],
    )
    solved = surge.scenario_solve(scenario_id=scenario.pk)
    rows = Allocation.objects.filter(scenario=scenario).select_related("person")
    allocated = {a.person.staff_number: a.score for a in rows}
    # Eligible exactly as the search: two by score, one through a recent role.
    assert allocated == pytest.approx({sn: SCORES[sn] for sn in ("ANN", "BEN", "CAT")})
    assert {a.person.staff_number: a.qualifies_by for a in rows} == {
        "ANN": "score",
        "BEN": "score",
        "CAT": "prior_role",
    }
    # The scenario page and its download keep the two ways in apart too.
    page = client.get(reverse("surge:detail", args=[scenario.pk])).content.decode()
    cat_row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*>CAT<(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    assert "Recent role" in cat_row
    download = client.post(reverse("surge:export_allocations", args=[scenario.pk, "csv"]))
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    header, *lines = list(csv.reader(io.StringIO(text)))
    by_sn = {row[header.index("staff_number")]: row[header.index("qualifies_by")] for row in lines}
    assert by_sn == {"ANN": "score", "BEN": "score", "CAT": "prior_role"}
    line = solved.result["lines"][0]
    assert (line["eligible"], line["eligible_by_prior_role"], line["filled"]) == (3, 1, 3)
    assert solved.result["greedy"]["filled"] == 3
    training = {(t["skill"], t["level"]): t["people"] for t in solved.result["training"]}
    # Rule 11's gaps: Python 4 (Ben, Cat), SQL 4 (Ann, Cat), Programming 2 (Cat).
    assert training == {("Python", 4): 2, ("SQL", 4): 2, ("Programming", 2): 1}

    # One post: the optimum and the greedy baseline (rule 8's order) both take Ben.
    one_post = surge.scenario_create(
        actor=planner,
        name="One post",
        release_cap=1.0,
        lines=[surge.LineSpec(role_id=world["roles"]["surge-analyst"].pk, headcount=1)],
    )
    solved = surge.scenario_solve(scenario_id=one_post.pk)
    assert list(
        Allocation.objects.filter(scenario=one_post).values_list("person__staff_number", flat=True)
    ) == ["BEN"]
    assert solved.result["lines"][0]["greedy_mean_score"] == pytest.approx(SCORES["BEN"])


def test_the_supply_report_gives_the_same_numbers(client_for, world):
    client = client_for(Role.PLANNER)
    data = client.get("/api/v1/reports/supply-demand?threshold=80&format=json").json()
    rows = {row["role"]: row for row in data["roles"]}
    analyst = rows["surge-analyst"]
    # By score (rule 7): Ann and Ben; one level of training away: Dan (not Eve).
    assert (analyst["qualify_now"], analyst["one_level_of_training_away"]) == (2, 1)
