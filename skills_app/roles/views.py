"""The role library and the role builder.

Planners (``Cap.ROLE_EDIT``) start a role profile from a DDaT role level, an
ESCO occupation, any role already in the library or from scratch, then change
it in the builder: requirement rows (skill, level, weight, essential) and the
hard filters a search for it starts with. Framework roles (DDaT, ESCO) are kept
as published: their pages offer "Start a new role from this one" instead of
"Edit". Saving a local role carries the version it was opened at; when someone
else saved it in between, nothing is written and the page comes back (409)
with what is saved now beside what was typed.

The builder works without JavaScript: "Add another skill" and "Remove" are
submit buttons that show the page again with everything typed so far.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from matching.rules import BY_SCORE
from skills_app.accounts.permissions import Cap, has_cap, requires
from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import CONFLICT_STATUS, posted_at_version, render_edit_page
from skills_app.roles import selectors, services
from skills_app.roles.forms import FiltersForm
from skills_app.roles.forms_builder import (
    TOTAL_FIELD,
    RoleBuilder,
    RoleDetailsForm,
    blank_row,
    rows_from_data,
)
from skills_app.roles.models import RoleProfile, RoleSource
from skills_app.roles.search import SearchFilters, SearchQuery, run_search
from skills_app.roles.services import MAX_REQUIREMENTS
from taxonomy.models import LEVEL_CHOICES, Occupation

ROLES_PER_PAGE = 50
START_MATCHES = 20
PREVIEW_LIMIT = 10
QUERY_MAX = 100
CONFLICT_MESSAGE = (
    "Someone else saved this role since you opened it. Your changes have not been saved. "
    "Check what is saved now, then save again to replace it with your version"
)


@requires(Cap.ROLE_VIEW)
def role_list(request):
    q = request.GET.get("q", "").strip()[:QUERY_MAX]
    page = Paginator(selectors.role_list(q=q), ROLES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "roles/list.html",
        {"page": page, "q": q, "can_edit": has_cap(request.user, Cap.ROLE_EDIT)},
    )


@requires(Cap.ROLE_VIEW)
def role_detail(request, code):
    role = selectors.role_get(code=code)
    return render(
        request,
        "roles/detail.html",
        {
            "role": role,
            "requirements": role.requirements.all(),
            "filters": selectors.filters_summary(SearchFilters.from_json(role.filters)),
            "can_edit": has_cap(request.user, Cap.ROLE_EDIT),
            "can_search": has_cap(request.user, Cap.SEARCH_RUN),
            "editable": role.source == RoleSource.LOCAL,
        },
    )


# --- starting a role -------------------------------------------------------------------


def _start_page(request, *, status=200, **extra):
    occupation_q = " ".join(request.GET.get("occupation_q", "").split())[:QUERY_MAX]
    role_q = " ".join(request.GET.get("role_q", "").split())[:QUERY_MAX]
    context = {
        "ddat_roles": selectors.ddat_role_choices(),
        "occupation_q": occupation_q,
        "occupations": (
            selectors.occupation_matches(q=occupation_q, limit=START_MATCHES)
            if occupation_q
            else None
        ),
        "role_q": role_q,
        "roles": (list(selectors.role_list(q=role_q)[:START_MATCHES]) if role_q else None),
        **extra,
    }
    return render(request, "roles/start.html", context, status=status)


def _starting_point(request) -> tuple[dict, list[dict], str] | None:
    """(details, rows, what it is based on) for ?from=<code>, ?occupation=<id>
    or ?start=blank; None when no starting point was chosen."""
    if code := request.GET.get("from") or request.GET.get("ddat"):
        role = selectors.role_get(code=code)
        details = {
            "title": role.title,
            "description": role.description,
            "grade_min": role.grade_min,
            "grade_max": role.grade_max,
            **FiltersForm.initial_for(SearchFilters.from_json(role.filters)),
        }
        specs = services.requirements_from_role(role)[:MAX_REQUIREMENTS]
        rows = RoleBuilder.rows_from_specs(specs) or [blank_row()]
        return details, rows, f"{role.title} ({role.get_source_display()})"
    if raw := request.GET.get("occupation"):
        if not raw.isdigit():
            raise Http404("No such occupation")
        occupation = get_object_or_404(Occupation, pk=int(raw))
        details = {
            "title": occupation.name[:1].upper() + occupation.name[1:],
            "description": occupation.description[:2000],
            **FiltersForm.initial_for(SearchFilters()),
        }
        specs = services.requirements_from_occupation(occupation)
        rows = RoleBuilder.rows_from_specs(specs) or [blank_row()]
        return details, rows, f"{occupation.name} (ESCO occupation)"
    if request.GET.get("start") == "blank":
        return FiltersForm.initial_for(SearchFilters()), [blank_row()], ""
    return None


@requires(Cap.ROLE_EDIT)
@require_http_methods(["GET", "POST"])
def role_new(request):
    if request.method == "POST":
        return _builder_post(request, role=None)
    if "ddat" in request.GET and not selectors.is_ddat_role(code=request.GET["ddat"]):
        message = "Choose a DDaT role level"
        return _start_page(
            request, ddat_error=message, ddat_errors=[{"text": message, "href": "#ddat"}]
        )
    start = _starting_point(request)
    if start is None:
        return _start_page(request)
    details, rows, based_on = start
    builder = RoleBuilder.shown(details_initial=details, rows=rows)
    return _builder_page(request, builder, role=None, based_on=based_on)


# --- the builder ----------------------------------------------------------------------


def _builder_page(request, builder: RoleBuilder, *, role, **extra):
    errors = builder.summary()
    return render_edit_page(
        request,
        "roles/builder.html",
        {
            "builder": builder,
            "form": builder.details,
            "rows": builder.rows,
            "errors": errors,
            "role": role,
            "level_choices": LEVEL_CHOICES,
            "max_requirements": MAX_REQUIREMENTS,
            "can_add": len(builder.rows) < MAX_REQUIREMENTS,
            "total_field": TOTAL_FIELD,
            "can_preview": has_cap(request.user, Cap.SEARCH_RUN),
            "action_url": (
                reverse("roles:edit", args=[role.code]) if role else reverse("roles:new")
            ),
            **extra,
        },
    )


def _preview(request, builder: RoleBuilder, role: RoleProfile | None):
    """The best matches for the role as typed, without saving it (audited as a
    search like any other); None for users who may build roles but not search."""
    if not has_cap(request.user, Cap.SEARCH_RUN):
        return None
    query = SearchQuery(
        requirements=tuple(builder.requirements()),
        filters=builder.details.cleaned_data["filters"],
        limit=PREVIEW_LIMIT,
        role_code=role.code if role else "",
        # The "80% or more" list only; people in through a recent role are counted
        # apart, never mixed in (rule 7).
        qualifies_by=BY_SCORE,
    )
    return run_search(actor=request.user, query=query)


def _builder_post(request, *, role: RoleProfile | None):
    data = request.POST
    remove = data.get("remove", "")
    action = data.get("action", "save")
    if remove.isdigit() or action == "add":
        rows = rows_from_data(data)
        if remove.isdigit() and int(remove) < len(rows):
            del rows[int(remove)]
        elif action == "add" and len(rows) < MAX_REQUIREMENTS:
            rows.append(blank_row())
        builder = RoleBuilder.shown(
            details_initial=RoleDetailsForm.initial_from_data(data), rows=rows
        )
        return _builder_page(
            request,
            builder,
            role=role,
            based_on=data.get("based_on", "")[:300],
            added=action == "add",
        )

    builder = RoleBuilder.for_post(data)
    based_on = data.get("based_on", "")[:300]
    if (
        role is not None
        and builder.details.is_valid()
        and not builder.details.cleaned_data.get("version")
    ):
        builder.add_error("This page is out of date: open the role again and make your changes")
    if not builder.is_valid():
        return _builder_page(request, builder, role=role, based_on=based_on)
    cd = builder.details.cleaned_data
    if action == "preview":
        return _builder_page(
            request, builder, role=role, based_on=based_on, preview=_preview(request, builder, role)
        )
    fields = {
        "title": cd["title"],
        "requirements": builder.requirements(),
        "filters": cd["filters"],
        "description": cd["description"],
        "grade_min": cd["grade_min"],
        "grade_max": cd["grade_max"],
    }
    try:
        if role is None:
            # The service makes the code from the title (services.new_code).
            saved = services.role_create(actor=request.user, **fields)
        else:
            saved = services.role_update(role=role, expected_version=cd["version"], **fields)
    except ConflictError as exc:
        current = selectors.role_get(code=exc.current.code)
        builder = RoleBuilder.for_post(posted_at_version(data, current.version))
        builder.is_valid()
        builder.add_error(CONFLICT_MESSAGE, "#conflict")
        return _builder_page(
            request,
            builder,
            role=current,
            conflict=current,
            conflict_requirements=current.requirements.all(),
        )
    except services.RoleError as exc:
        builder.add_error(str(exc))
        return _builder_page(request, builder, role=role, based_on=based_on)
    verb = "created" if role is None else "saved"
    messages.success(request, f"You {verb} the role “{saved.title}”")
    return redirect("roles:detail", code=saved.code)


@requires(Cap.ROLE_EDIT)
@require_http_methods(["GET", "POST"])
def role_edit(request, code):
    role = selectors.role_get(code=code)
    if role.source != RoleSource.LOCAL:
        # Framework roles are reference data: offer a copy instead (409 to a save).
        status = CONFLICT_STATUS if request.method == "POST" else 200
        return render(request, "roles/read_only.html", {"role": role}, status=status)
    if request.method == "POST":
        return _builder_post(request, role=role)
    details = {
        "title": role.title,
        "description": role.description,
        "grade_min": role.grade_min,
        "grade_max": role.grade_max,
        "version": role.version,
        **FiltersForm.initial_for(SearchFilters.from_json(role.filters)),
    }
    rows = RoleBuilder.rows_from_specs(services.requirements_from_role(role)) or [blank_row()]
    return _builder_page(request, RoleBuilder.shown(details_initial=details, rows=rows), role=role)
