"""Every URL and every API operation × every role, against DESIGN.md section 8.

Adding a route without protection, or without a sample here, fails this file:
that is the point. Public routes must be marked with ``@public``.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from skills_app.accounts.permissions import ROLE_CAPABILITIES, Cap, Role
from skills_app.api import api
from skills_app.api_support import BearerTokenAuth, SessionCapabilityAuth
from taxonomy.models import SkillGroup, SkillProposal
from tests.factories import PersonFactory, PersonSkillFactory, RoleRequirementFactory

# Sample keyword arguments for routes with parameters, by URL name.
SAMPLE_KWARGS = {
    "roles:detail": lambda ctx: {"code": ctx["role"].code},
    "roles:edit": lambda ctx: {"code": ctx["role"].code},
    "roles:search": lambda ctx: {"code": ctx["role"].code},
    "roles:explanation": lambda c: {
        "code": c["role"].code,
        "public_id": c["team_skill"].person.public_id,
    },
    "roles:export": lambda ctx: {"code": ctx["role"].code, "fmt": "csv"},
    "taxonomy:group": lambda ctx: {"pk": ctx["skill"].group_id},
    "taxonomy:proposal": lambda ctx: {"pk": ctx["proposal"].pk},
    "taxonomy:skill": lambda ctx: {"pk": ctx["skill"].pk},
    "taxonomy:skill_merge": lambda ctx: {"pk": ctx["skill"].pk},
    "taxonomy:skill_status": lambda ctx: {"pk": ctx["skill"].pk},
    "taxonomy:qualification_change": lambda ctx: {"pk": sample_mapping(ctx).pk},
    "taxonomy:qualification_remove": lambda ctx: {"pk": sample_mapping(ctx).pk},
    "surge:detail": lambda ctx: {"pk": sample_scenario(ctx).pk},
    "surge:edit": lambda ctx: {"pk": sample_scenario(ctx).pk},
    "surge:line_forecast": lambda ctx: {
        "pk": sample_scenario(ctx).pk,
        "line_id": sample_scenario(ctx).lines.get().pk,
    },
    "surge:solve": lambda ctx: {"pk": sample_scenario(ctx).pk},
    "surge:progress": lambda ctx: {"pk": sample_scenario(ctx).pk},
    "surge:approve": lambda ctx: {"pk": sample_scenario(ctx).pk},
    "surge:close": lambda ctx: {"pk": sample_scenario(ctx).pk},
    "surge:export_allocations": lambda ctx: {"pk": sample_scenario(ctx).pk, "fmt": "csv"},
    "surge:export_releases": lambda ctx: {"pk": sample_scenario(ctx).pk, "fmt": "xlsx"},
    "surge:export_training": lambda ctx: {"pk": sample_scenario(ctx).pk, "fmt": "csv"},
    "surge:training": lambda ctx: {"pk": sample_scenario(ctx).pk},
    "surge:moves": lambda ctx: {"pk": sample_scenario(ctx).pk},
    # Moves, by UUID: a request to release someone in the line_manager login's team,
    # a started move a planner can extend, and a loan whose person agreed to the package.
    "moves:refuse": lambda ctx: {"pk": sample_move(ctx, "request").pk},
    "moves:step": lambda ctx: {"pk": sample_move(ctx, "started").pk, "step": "extend"},
    "moves:package": lambda ctx: {"pk": sample_move(ctx, "loan").pk},
    "imports:template": lambda ctx: {"kind": sample_kind(ctx)},
    "reports:data_quality_export": lambda ctx: {"fmt": "csv"},
    "reports:capability_export": lambda ctx: {"fmt": "xlsx"},
    "reports:supply_demand_export": lambda ctx: {"fmt": "csv"},
    "reports:inventory_export": lambda ctx: {"fmt": "xlsx"},
    "reports:capability_people": lambda c: {
        "unit": c["team_skill"].person.org_unit_id,
        "column": f"g{c['skill'].group_id}",
    },
    "imports:job": lambda ctx: {"job_id": sample_import_job(ctx).pk},
    "imports:job_progress": lambda ctx: {"job_id": sample_import_job(ctx).pk},
    "imports:job_import": lambda ctx: {"job_id": sample_import_job(ctx).pk},
    "imports:draft_run": lambda ctx: {"run_id": sample_draft_run(ctx).pk},
    "imports:draft_run_progress": lambda ctx: {"run_id": sample_draft_run(ctx).pk},
    # Others' profiles, by public id: a member of the line_manager login's team.
    "team:person": lambda ctx: {"public_id": ctx["team_skill"].person.public_id},
    "team:protection": lambda ctx: {"public_id": ctx["team_skill"].person.public_id},
    "team:verify": lambda c: team_skill_kwargs(c),
    "team:query": lambda c: team_skill_kwargs(c),
    "team:unverify": lambda c: team_skill_kwargs(c),
    # Your profile: rows of the user's own record (only the line_manager login
    # has one; the others get the "not linked to a staff record" page).
    "people:skill_change": lambda ctx: {"pk": own_row(ctx, "skill")},
    "people:skill_remove": lambda ctx: {"pk": own_row(ctx, "skill")},
    "people:draft_confirm": lambda ctx: {"pk": own_row(ctx, "draft")},
    "people:draft_level": lambda ctx: {"pk": own_row(ctx, "draft")},
    "people:draft_reject": lambda ctx: {"pk": own_row(ctx, "draft")},
    "people:role_change": lambda ctx: {"pk": own_row(ctx, "role")},
    "people:role_remove": lambda ctx: {"pk": own_row(ctx, "role")},
    "people:qualification_change": lambda ctx: {"pk": own_row(ctx, "qualification")},
    "people:qualification_remove": lambda ctx: {"pk": own_row(ctx, "qualification")},
}
API_SAMPLE_PARAMS = {
    "{code}": lambda ctx: ctx["role"].code,
    "{kind}": lambda ctx: sample_kind(ctx),  # POST /imports/{kind}
    "{job_id}": lambda ctx: str(sample_import_job(ctx).pk),  # GET /imports/jobs/{job_id}
    "{staff_number}": lambda ctx: "S999999",  # PUT /people/{staff_number}/skills, GET /people/…
    "{surge_id}": lambda ctx: "999999",  # /surges/{surge_id}…: refused before the lookup
    "{run_id}": lambda ctx: str(sample_draft_run(ctx).pk),  # GET /drafts/runs/{run_id}
    "{move_id}": lambda ctx: "00000000-0000-4000-8000-000000000000",  # /moves/{move_id}/…
}
# Operations on one person's record that its owner may use on their own record only
# (profile.edit_own) and HR on anyone's (profile.view_all): the sample staff number is
# nobody's, so a role holding only profile.edit_own is refused it.
OWN_RECORD_OPERATIONS = {
    ("GET", "/api/v1/people/{staff_number}/drafts"),
    ("POST", "/api/v1/people/{staff_number}/drafts"),
}
# Public pages: reachable signed out, and listed here so that making a page
# public is a deliberate, reviewed act.
EXPECTED_PUBLIC = {
    "accounts:login",
    "accounts:logout",
    "healthz",
    "healthz_ready",
    "accessibility",
    "cookies",
    "favicon",
}
SKIPPED_NAMESPACES = {"admin", "api"}  # covered by their own tests below


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, prefix + str(entry.pattern), entry, namespace


def site_routes():
    return [r for r in _walk(get_resolver().url_patterns) if r[3] not in SKIPPED_NAMESPACES]


def api_operations():
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, f"/api/v1{prefix}{path}", operation


@pytest.fixture
def ctx(db, make_user):
    group = SkillGroup.objects.create(name="Sample group", uri="urn:muster:test:group:sample")
    requirement = RoleRequirementFactory(skill__group=group)
    proposal = SkillProposal.objects.create(name="Sample proposed skill")
    # A skill on the profile of someone who reports to the "line_manager" login
    # (the user client_for(Role.LINE_MANAGER) signs in as), so line managers may
    # open, verify, query and protect them.
    line_manager_person = PersonFactory(user=make_user(Role.LINE_MANAGER))
    team_skill = PersonSkillFactory(
        person__line_manager=line_manager_person, skill=requirement.skill
    )
    return {
        "role": requirement.role,
        "skill": requirement.skill,
        "proposal": proposal,
        "team_skill": team_skill,
        "line_manager_person": line_manager_person,
    }


def team_skill_kwargs(ctx) -> dict:
    """A team member's skill: the person by public id, the skill by its catalogue id."""
    row = ctx["team_skill"]
    return {"public_id": row.person.public_id, "skill_id": row.skill_id}


def own_row(ctx, kind: str) -> int:
    """A row of the line_manager login's own record (the only sample login with
    a staff record; the others get the "not linked" page whatever the pk)."""
    import datetime as dt

    from skills_app.people.models import Qualification, RoleHistory

    key = f"own_{kind}"
    if key not in ctx:
        person = ctx["line_manager_person"]
        if kind == "skill":
            ctx[key] = PersonSkillFactory(person=person, skill=ctx["skill"])
        elif kind == "draft":
            ctx[key] = PersonSkillFactory(person=person, evidence="inferred", source="role_level")
        elif kind == "role":
            ctx[key] = RoleHistory.objects.create(
                person=person, title="Team leader", start=dt.date(2020, 1, 1)
            )
        else:
            ctx[key] = Qualification.objects.create(person=person, name="ILM Level 3")
    return ctx[key].pk


def sample_kind(ctx) -> str:
    """An import kind the signed-in user may import, when they may import any (each kind
    names its own capability: HR kinds for HR, the qualification table for stewards);
    the per-kind refusal is tested in tests/taxonomy/test_qualification_table.py."""
    from skills_app.imports.kinds import kinds_for

    return next(iter(kinds_for(ctx.get("owner"))), "people")


def sample_mapping(ctx):
    """A row of the stewards' qualification table, made the first time a route needs one."""
    from taxonomy.models import QualificationSkill

    if "mapping" not in ctx:
        ctx["mapping"] = QualificationSkill.objects.create(
            qualification="Sample qualification", skill=ctx["skill"], level=2
        )
    return ctx["mapping"]


def sample_import_job(ctx):
    """An HR import job, made the first time a route needs one."""
    from skills_app.people.models import ImportJob

    if "import_job" not in ctx:
        # A job is seen only by its uploader and administrators: it is the signed-in user's.
        ctx["import_job"] = ImportJob.objects.create(
            kind="people", filename="s.csv", content=b"", created_by=ctx.get("owner")
        )
    return ctx["import_job"]


def sample_draft_run(ctx):
    """A finished "draft everyone" run, made the first time a route needs one."""
    from skills_app.people.models import DraftRun, DraftRunStatus

    if "draft_run" not in ctx:
        ctx["draft_run"] = DraftRun.objects.create(status=DraftRunStatus.SUCCEEDED)
    return ctx["draft_run"]


def sample_scenario(ctx):
    """A draft surge scenario with one line, made the first time a route needs one."""
    from skills_app.surge.services import LineSpec, scenario_create

    if "scenario" not in ctx:
        ctx["scenario"] = scenario_create(
            actor=None, name="Sample surge", lines=[LineSpec(role_id=ctx["role"].pk, headcount=1)]
        )
    return ctx["scenario"]


def sample_move(ctx, kind: str):
    """A move made the first time a route needs one (see SAMPLE_KWARGS)."""
    import datetime as dt

    from django.utils import timezone

    from skills_app.moves.models import Move, MoveStatus

    key = f"move_{kind}"
    if key not in ctx:
        start = timezone.localdate()
        fields = {"start_date": start, "end_date": start + dt.timedelta(weeks=12)}
        if kind == "request":
            fields["person"] = ctx["team_skill"].person
        elif kind == "started":
            fields.update(person=PersonFactory(), status=MoveStatus.STARTED)
        else:
            fields.update(
                person=PersonFactory(),
                host_organisation="Another department",
                package_consent_at=timezone.now(),
            )
        ctx[key] = Move.objects.create(**fields)
    return ctx[key]


def role_may(role: Role, caps: frozenset[Cap]) -> bool:
    return bool(ROLE_CAPABILITIES[role] & caps)


def test_every_site_route_is_protected_or_deliberately_public():
    unprotected, unexpected_public = [], []
    for name, route, entry, _ in site_routes():
        callback = entry.callback
        if getattr(callback, "public_view", False):
            if name not in EXPECTED_PUBLIC:
                unexpected_public.append(name or route)
        elif not getattr(callback, "required_capabilities", None):
            unprotected.append(name or route)
    assert not unprotected, f"routes without @requires: {unprotected}"
    assert not unexpected_public, f"routes marked public but not expected: {unexpected_public}"


def test_every_api_operation_checks_a_capability():
    operations = list(api_operations())
    assert operations, "no API operations found"
    for method, path, operation in operations:
        auth_types = {type(cb) for cb in operation.auth_callbacks}
        assert auth_types == {BearerTokenAuth, SessionCapabilityAuth}, (method, path)
        assert all(cb.caps for cb in operation.auth_callbacks), f"{method} {path} has no capability"


def _site_url(name, route, ctx):
    from django.urls import reverse

    if "<" in route:
        assert name in SAMPLE_KWARGS, f"add a SAMPLE_KWARGS entry for {name}"
        return reverse(name, kwargs=SAMPLE_KWARGS[name](ctx))
    return reverse(name)


@pytest.mark.parametrize("role", list(Role))
def test_site_routes_enforce_the_matrix_for(role, client_for, ctx):
    client = client_for(role)
    ctx["owner"] = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    checked = 0
    for name, route, entry, _ in site_routes():
        caps = getattr(entry.callback, "required_capabilities", None)
        if not caps:
            continue
        url = _site_url(name, route, ctx)
        response = client.get(url)
        if response.status_code == 405 and "POST" in response["Allow"]:
            # POST-only routes (the downloads): GET is refused whoever asks; POST
            # is what the matrix governs.
            response = client.post(url)
        status = response.status_code
        if role_may(role, caps):
            assert status == 200, f"{role} should reach {url}, got {status}"
        else:
            assert status == 403, f"{role} should be refused {url}, got {status}"
        checked += 1
    assert checked >= 4


def test_anonymous_visitors_are_sent_to_sign_in(client, ctx):
    for name, route, entry, _ in site_routes():
        if getattr(entry.callback, "public_view", False):
            continue
        url = _site_url(name, route, ctx)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def _api_url(path, ctx):
    for placeholder, sample in API_SAMPLE_PARAMS.items():
        path = path.replace(placeholder, sample(ctx))
    assert "{" not in path, f"add an API_SAMPLE_PARAMS entry for {path}"
    return path


@pytest.mark.parametrize("role", list(Role))
def test_api_operations_enforce_the_matrix_for(role, client_for, ctx):
    client = client_for(role)
    ctx["owner"] = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    for method, path, operation in api_operations():
        caps = operation.auth_callbacks[0].caps
        if (method, path) in OWN_RECORD_OPERATIONS:
            caps = caps - {Cap.PROFILE_EDIT_OWN}
        url = _api_url(path, ctx)
        response = client.generic(method, url, data="{}", content_type="application/json")
        if role_may(role, caps):
            assert response.status_code not in (401, 403), f"{role} {method} {url}"
        else:
            assert response.status_code == 403, f"{role} {method} {url}: {response.status_code}"
            assert response.json()["detail"]


def test_api_refuses_anonymous_callers_with_401(client, ctx):
    for method, path, _ in api_operations():
        response = client.generic(method, _api_url(path, ctx))
        assert response.status_code == 401
        assert response.json() == {
            "detail": "Authentication required: sign in or send a bearer token.",
            "errors": [],
        }


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_admin_site_is_for_administrators_only(role, client_for):
    client = client_for(role)
    assert client.get("/admin/").status_code in (302, 403)
    assert client.get("/admin/people/orgunit/").status_code in (302, 403)
    assert client.get("/admin/login/").status_code == 403


def test_admin_site_opens_for_administrators(client_for):
    client = client_for(Role.ADMIN)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/people/orgunit/").status_code == 200


def test_the_admin_holds_no_personal_data_and_writes_nothing_a_service_owns(client_for):
    """One write path (DESIGN 2): people are not in the admin at all; roles, scenarios
    and the taxonomy are shown but cannot be added, changed or deleted there."""
    from tests.factories import RoleProfileFactory

    client = client_for(Role.ADMIN)
    for path in ("people/person", "people/personskill", "surge/allocation"):
        assert client.get(f"/admin/{path}/").status_code == 404, path
    role = RoleProfileFactory(code="local-role", title="Local role")
    change = f"/admin/roles/roleprofile/{role.pk}/change/"
    assert client.get("/admin/roles/roleprofile/").status_code == 200
    assert client.get(change).status_code == 200  # a view-only page
    response = client.post(change, {"code": "changed", "title": "Changed"})
    assert response.status_code == 403
    role.refresh_from_db()
    assert (role.code, role.title) == ("local-role", "Local role")
    assert client.get("/admin/roles/roleprofile/add/").status_code == 403
    for path in ("taxonomy/skill", "surge/surgescenario", "taxonomy/skillrelation"):
        assert client.get(f"/admin/{path}/add/").status_code == 403, path


def test_api_docs_need_a_signed_in_user(client, client_for):
    assert client.get("/api/v1/openapi.json").status_code == 302
    assert client_for(Role.STAFF).get("/api/v1/openapi.json").status_code == 200


def test_the_audit_trail_admin_names_no_one(client_for):
    """An audit row's page shows the person it is about by record id, never by name or
    staff number (that would be an unaudited read of personal data)."""
    from skills_app.audit.models import AccessEvent, Action
    from tests.factories import PersonFactory

    person = PersonFactory(full_name="Quentin Quiet", staff_number="Q123456")
    event = AccessEvent.objects.create(
        actor_label="someone", action=Action.VIEW_PROFILE, subject=person
    )
    page = client_for(Role.ADMIN).get(f"/admin/audit/accessevent/{event.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Quentin Quiet" not in text and "Q123456" not in text
    assert "Person&#x27;s record id" in text or "Person's record id" in text
