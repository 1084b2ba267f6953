"""Surge scenario pages (DESIGN.md section 5): list, editor, solve with progress,
results, approve, close and the downloads.

Planners and administrators (``SURGE_EDIT``) change scenarios; HR (``SURGE_VIEW``)
reads them and downloads the exports. The views are thin: every change goes through
``skills_app.surge.services`` and every read through ``selectors``.

The editor works without JavaScript: "Add another line" and "Remove" are submit
buttons, and the page comes back with one line more or fewer and everything typed
kept. Saving carries the version the form was opened at; saving over a newer
version writes nothing and answers 409 with the saved values beside the typed ones.

Solving runs in the task worker. The progress page is polled by htmx every second
and, without JavaScript, refreshes itself (``<noscript>`` meta refresh) and has a
"refresh" link; when the solve is done it sends the browser to the results.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from skills_app.accounts.permissions import Cap, has_cap, requires
from skills_app.audit.models import Action
from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import CONFLICT_STATUS, rebound_at_version, render_edit_page
from skills_app.core.presenters import percent_number
from skills_app.core.throttle import throttle
from skills_app.people.selectors import org_level_names
from skills_app.surge import exports, selectors, services
from skills_app.surge.forms import (
    DEFAULT_LINE,
    LineForm,
    ScenarioForm,
    bind_lines,
    line_count,
    line_values,
    unbound_lines,
)
from skills_app.surge.models import ScenarioStatus, SurgeScenario

SCENARIOS_PER_PAGE = 50
CONFLICT_MESSAGE = (
    "Someone else changed this scenario since you opened it. Your changes have not been "
    "saved. Check what is saved now, then save again to replace it with yours"
)
STALE_MESSAGE = "This form is out of date: open the scenario again"


def _detail_url(scenario, anchor: str = "") -> str:
    url = reverse("surge:detail", args=[scenario.pk])
    return f"{url}#{anchor}" if anchor else url


# --- the list ------------------------------------------------------------------------


@requires(Cap.SURGE_VIEW)
def scenario_list(request):
    page = Paginator(selectors.scenario_list(), SCENARIOS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [{"scenario": s, "tag": selectors.status_tag(s.status)} for s in page]
    return render(
        request,
        "surge/list.html",
        {"page": page, "rows": rows, "can_edit": has_cap(request.user, Cap.SURGE_EDIT)},
    )


# --- the editor ----------------------------------------------------------------------


def _posts_text(posts: int, forecast: bool) -> str:
    return f"forecast, peak {posts}" if forecast else str(posts)


def _lines_summary(lines) -> str:
    return (
        "; ".join(
            f"{_posts_text(line.headcount, bool(line.demand))} × {line.role_profile.title}"
            for line in lines
        )
        or "None"
    )


def _conflict_rows(form: ScenarioForm, line_forms: list[LineForm], current) -> list[dict]:
    cd = form.cleaned_data
    roles = dict(line_forms[0].fields["role"].choices) if line_forms else {}
    yours_lines = "; ".join(
        f"{_posts_text(f.line_spec().posts, f.cleaned_data['demand_model'] is not None)} × "
        f"{roles.get(str(f.cleaned_data['role']), '')}"
        for f in line_forms
    )
    depths = dict(form.fields["cap_org_depth"].choices)
    return [
        {"label": "Name", "yours": cd["name"], "saved": current.name},
        {"label": "Description", "yours": cd["description"], "saved": current.description},
        {
            "label": "Release cap",
            "yours": f"{cd['release_cap']:f}%",
            "saved": f"{percent_number(current.release_cap)}%",
        },
        {
            "label": "Cap applies to",
            "yours": depths.get(str(cd["cap_org_depth"]), ""),
            "saved": depths.get(str(current.cap_org_depth), f"Level {current.cap_org_depth}"),
        },
        {
            "label": "Week 1 of the forecasts starts on",
            "yours": date_format(cd["weeks_from"], "j F Y") if cd["weeks_from"] else "",
            "saved": date_format(current.weeks_from, "j F Y") if current.weeks_from else "",
        },
        {
            "label": "Training days per level of gap",
            "yours": f"{cd['training_days_per_level']:f}",
            "saved": f"{current.training_days_per_level:f}",
        },
        {
            "label": "Demand lines",
            "yours": yours_lines,
            "saved": _lines_summary(selectors.scenario_lines(current)),
        },
    ]


def _choices(lines) -> dict:
    roles = {line.role_profile_id for line in lines}
    return {
        "role_choices": selectors.role_choices(include=roles),
        "location_choices": selectors.location_choices(include={x.location for x in lines}),
    }


def _cap_warning(values: tuple[float, int] | None) -> dict | None:
    """The editor's warning when the cap rounds down to 0 people in some or all units
    at its level (None when it does not, or the cap is not valid yet)."""
    if values is None:
        return None
    preview = selectors.cap_preview(*values)
    if not preview.warns:
        return None
    # Named as the level choice names it ("Team" -> "the team level").
    name = org_level_names(include=preview.depth)[preview.depth]
    level = f"the {name[0].lower()}{name[1:]} level"
    return {"preview": preview, "percent": f"{percent_number(preview.cap)}%", "level": level}


def _editor_page(request, scenario, form, line_forms, *, status=200, **extra):
    has_errors = (
        bool(form.errors) or any(f.errors for f in line_forms) or bool(extra.get("lines_error"))
    )
    return render_edit_page(
        request,
        "surge/editor.html",
        {
            "scenario": scenario,
            "form": form,
            "line_forms": line_forms,
            "next_line": len(line_forms) + 1,
            "can_add": len(line_forms) < services.MAX_LINES,
            "max_lines": services.MAX_LINES,
            "has_errors": has_errors,
            **extra,
        },
        status=status,
    )


def _editor(request, scenario: SurgeScenario | None):
    lines = selectors.scenario_lines(scenario) if scenario else []
    choices = _choices(lines)
    depths = selectors.depth_choices(
        include=scenario.cap_org_depth if scenario else services.DEFAULT_CAP_DEPTH
    )
    if request.method != "POST":
        if scenario:
            initial = ScenarioForm.initial_for(scenario)
        else:
            initial = {
                "release_cap": "20",
                "cap_org_depth": str(services.DEFAULT_CAP_DEPTH),
                **ScenarioForm.new_initial(),
            }
        form = ScenarioForm(initial=initial, depth_choices=depths)
        rows = [LineForm.initial_for(line) for line in lines] or [dict(DEFAULT_LINE)]
        warning = (
            _cap_warning((float(scenario.release_cap), scenario.cap_org_depth))
            if scenario
            else None
        )
        line_forms = unbound_lines(rows, **choices)
        for line_form, line in zip(line_forms, lines, strict=False):
            line_form.saved_line = line  # rows are the saved lines: each links to its forecast
        return _editor_page(request, scenario, form, line_forms, cap_warning=warning)

    action = request.POST.get("action", "save")
    rows = line_values(request.POST, line_count(request.POST))
    if action == "add" or action.startswith("remove-"):
        if action == "add" and len(rows) < services.MAX_LINES:
            rows.append(dict(DEFAULT_LINE))
        elif action.startswith("remove-"):
            number = action.removeprefix("remove-")
            if number.isdigit() and 1 <= int(number) <= len(rows):
                del rows[int(number) - 1]
        # Nothing is checked yet: the page just comes back with the lines changed (and
        # the cap warning, when the typed cap already rounds to zero somewhere).
        form = ScenarioForm(initial=request.POST.dict(), depth_choices=depths)
        warning = _cap_warning(ScenarioForm(request.POST, depth_choices=depths).cap_values())
        return _editor_page(
            request, scenario, form, unbound_lines(rows, **choices), cap_warning=warning
        )

    form = ScenarioForm(request.POST, depth_choices=depths)
    warning = _cap_warning(form.cap_values())
    line_forms = bind_lines(rows, **choices)
    valid = form.is_valid()
    valid = all([form.is_valid() for form in line_forms]) and valid
    lines_error = "" if line_forms else "Add at least one demand line"
    if scenario is not None and form.is_valid() and form.cleaned_data["version"] is None:
        form.add_error(None, STALE_MESSAGE)
        valid = False
    if not valid or lines_error:
        return _editor_page(
            request, scenario, form, line_forms, lines_error=lines_error, cap_warning=warning
        )
    if warning and request.POST.get("cap_checked") != warning["preview"].token:
        # Not an error: the planner sees what the cap comes to, and saving again with
        # the same cap and level keeps it (the page carries the token it warned for).
        return _editor_page(
            request, scenario, form, line_forms, cap_warning=warning, cap_check=True
        )

    specs = [f.line_spec() for f in line_forms]
    cd = form.cleaned_data
    fields = {
        "name": cd["name"],
        "description": cd["description"],
        "release_cap": form.release_cap_fraction,
        "cap_org_depth": cd["cap_org_depth"],
        "weeks_from": cd["weeks_from"],
        "training_days_per_level": float(cd["training_days_per_level"]),
        "lines": specs,
    }
    try:
        if scenario is None:
            saved = services.scenario_create(actor=request.user, **fields)
        else:
            saved = services.scenario_update(
                actor=request.user,
                scenario_id=scenario.pk,
                expected_version=cd["version"],
                **fields,
            )
    except ConflictError as exc:
        current = exc.current
        conflict = _conflict_rows(form, line_forms, current)
        form = rebound_at_version(
            ScenarioForm,
            request.POST,
            current.version,
            message=CONFLICT_MESSAGE,
            depth_choices=depths,
        )
        return _editor_page(
            request, current, form, line_forms, conflict=conflict, cap_warning=warning
        )
    except services.SurgeError as exc:
        form.add_error(None, str(exc))
        frozen = scenario is not None and selectors.is_frozen(
            selectors.scenario_get(pk=scenario.pk)
        )
        status = CONFLICT_STATUS if frozen else 200
        return _editor_page(request, scenario, form, line_forms, status=status, cap_warning=warning)
    if scenario is None:
        messages.success(request, f"Scenario “{saved.name}” created. Solve it to see who fills it")
    else:
        messages.success(
            request, f"Scenario “{saved.name}” saved. Solve it again to see who fills it"
        )
    return redirect(_detail_url(saved))


@requires(Cap.SURGE_EDIT)
@require_http_methods(["GET", "POST"])
def scenario_new(request):
    return _editor(request, None)


@requires(Cap.SURGE_EDIT)
@require_http_methods(["GET", "POST"])
def scenario_edit(request, pk):
    scenario = selectors.scenario_get(pk=pk)
    if selectors.is_frozen(scenario) and request.method != "POST":
        messages.info(
            request,
            f"This scenario is {scenario.get_status_display().lower()}: it cannot change",
        )
        return redirect(_detail_url(scenario))
    return _editor(request, scenario)


# --- the scenario and its results ----------------------------------------------------


def _scenario_context(request, scenario) -> dict:
    can_edit = has_cap(request.user, Cap.SURGE_EDIT)
    results = selectors.scenario_results(scenario)
    lines = selectors.scenario_lines(scenario)
    for line in lines:
        line.min_percent = f"{percent_number(line.min_score)}%"
    solving = scenario.solve_state in ("queued", "running")
    context = {
        "scenario": scenario,
        "tag": selectors.status_tag(scenario.status),
        "lines": lines,
        "release_cap": f"{percent_number(scenario.release_cap)}%",
        "cap_level": dict(selectors.depth_choices(include=scenario.cap_org_depth)).get(
            scenario.cap_org_depth, f"Level {scenario.cap_org_depth}"
        ),
        "results": results,
        # Not while a solve runs: it would answer for lines or a state that changed.
        "can_edit": can_edit and not selectors.is_frozen(scenario) and not solving,
        "can_solve": can_edit and not selectors.is_frozen(scenario) and not solving,
        "can_approve": can_edit and scenario.status == ScenarioStatus.SOLVED and not solving,
        "can_close": can_edit and scenario.status != ScenarioStatus.CLOSED,
        "solving": solving,
    }
    if results:
        # The long lists are paged, each on its own parameter, so the decision at the
        # top stays one screen away whatever the scenario's size.
        context["allocations"] = selectors.allocation_page(
            scenario,
            request.GET.get("allocations_page"),
            explain=has_cap(request.user, Cap.SEARCH_RUN),
        )
        context["units"] = selectors.unit_page(results, request.GET.get("units_page"))
        if results["weekly"]:
            # Week by week (DESIGN 11): one line's weeks, or all lines summed, at a time.
            context["weekly"] = selectors.weekly_results(
                scenario.result["weekly"],
                results["lines"],
                line=request.GET.get("line"),
                unmet_page=request.GET.get("unmet_page"),
                week_page=request.GET.get("week_page"),
            )
        if context["can_approve"]:
            context["approve_refusal"] = services.approval_refusal(scenario)
    return context


@requires(Cap.SURGE_VIEW)
def scenario_detail(request, pk):
    scenario = selectors.scenario_get(pk=pk)
    context = _scenario_context(request, scenario)
    if context["results"]:
        shown = len(context["allocations"].rows)
        services.scenario_access_record(
            actor=request.user,
            scenario=scenario,
            action=Action.VIEW_SCENARIO,
            parameters={"page": "scenario", "allocations": shown},
        )
    return render(request, "surge/detail.html", context)


@requires(Cap.SURGE_VIEW)
def training_cohorts(request, pk):
    """Who needs which course by when: per start date and course (skill, level
    needed), the people who must finish it by then. A read of their data: audited."""
    scenario = selectors.scenario_get(pk=pk)
    report = selectors.training_report(
        scenario, page=request.GET.get("page"), cohorts_page=request.GET.get("cohorts_page")
    )
    services.scenario_access_record(
        actor=request.user,
        scenario=scenario,
        action=Action.VIEW_SCENARIO,
        parameters={"page": "training cohorts", "rows": len(report["people"].object_list)},
    )
    return render(
        request,
        "surge/training.html",
        {"scenario": scenario, "tag": selectors.status_tag(scenario.status), **report},
    )


ACTIONS = {
    "solve": {
        "title": "Solve",
        "button": "Solve scenario",
        "refused": "The scenario was not solved",
    },
    "approve": {
        "title": "Approve",
        "button": "Approve scenario",
        "refused": "The scenario was not approved",
    },
    "close": {
        "title": "Close",
        "button": "Close scenario",
        "refused": "The scenario was not closed",
    },
}


def _action_page(request, scenario, action: str, *, error: str = "", conflict=False):
    # Refusals answer 409 too: the scenario's state, not the request, is in the way.
    refusal = services.approval_refusal(scenario) if action == "approve" else ""
    return render_edit_page(
        request,
        "surge/confirm.html",
        {
            "scenario": scenario,
            "action": action,
            "spec": ACTIONS[action],
            "tag": selectors.status_tag(scenario.status),
            "error": error,
            "refusal": "" if error else refusal,
            "conflict": conflict,
            "allocated": scenario.allocations.count(),
            # What approving does, from the solve's figures.
            "results": selectors.scenario_results(scenario) if action == "approve" else None,
            "allowed": {
                "solve": not selectors.is_frozen(scenario),
                "approve": not refusal,
                "close": scenario.status != ScenarioStatus.CLOSED,
            }[action],
        },
        status=CONFLICT_STATUS if error else 200,
    )


def _posted_version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else 0


@requires(Cap.SURGE_EDIT)
@require_http_methods(["GET", "POST"])
def scenario_solve(request, pk):
    scenario = selectors.scenario_get(pk=pk)
    if request.method != "POST":
        return _action_page(request, scenario, "solve")
    try:
        services.scenario_queue_solve(actor=request.user, scenario_id=scenario.pk)
    except services.SurgeError as exc:
        return _action_page(request, selectors.scenario_get(pk=pk), "solve", error=str(exc))
    return redirect("surge:progress", pk=scenario.pk)


@requires(Cap.SURGE_VIEW)
def scenario_progress(request, pk):
    """The solve's progress. Done: on to the results (htmx is told to go there with
    HX-Redirect). Failed: htmx reloads the page, which shows why."""
    scenario = selectors.scenario_get(pk=pk)
    state = scenario.solve_state
    if state == "done":
        url = _detail_url(scenario, "results")
        if request.htmx:
            response = HttpResponse(status=200)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    context = {
        "scenario": scenario,
        "state": state,
        "solving": state in ("queued", "running"),
        "percent": scenario.solve_progress if state == "running" else 0,
        "message": scenario.solve_message
        if state == "running" and scenario.solve_message
        else "Waiting for the solver to start",
        "can_solve": has_cap(request.user, Cap.SURGE_EDIT) and not selectors.is_frozen(scenario),
    }
    if request.htmx:
        if not context["solving"]:
            response = HttpResponse(status=200)
            response["HX-Refresh"] = "true"
            return response
        context["announce"] = request.GET.get("message", "") != context["message"]
        return render(request, "surge/progress.html#progress", context)
    return render(request, "surge/progress.html", context)


@requires(Cap.SURGE_EDIT)
@require_http_methods(["GET", "POST"])
def scenario_approve(request, pk):
    scenario = selectors.scenario_get(pk=pk)
    if request.method != "POST":
        return _action_page(request, scenario, "approve")
    try:
        approved = services.scenario_approve(
            actor=request.user, scenario_id=scenario.pk, expected_version=_posted_version(request)
        )
    except ConflictError:
        return _action_page(
            request,
            selectors.scenario_get(pk=pk),
            "approve",
            error="The scenario changed since you opened it. Nothing was approved: check the "
            "latest results, then approve again",
            conflict=True,
        )
    except services.SurgeError as exc:
        return _action_page(request, selectors.scenario_get(pk=pk), "approve", error=str(exc))
    people = approved.allocations.count()
    messages.success(
        request,
        f"Scenario approved: {people} {'person is' if people == 1 else 'people are'} now "
        "allocated and no other scenario can use them",
    )
    return redirect(_detail_url(approved))


@requires(Cap.SURGE_EDIT)
@require_http_methods(["GET", "POST"])
def scenario_close(request, pk):
    scenario = selectors.scenario_get(pk=pk)
    if request.method != "POST":
        return _action_page(request, scenario, "close")
    was_approved = scenario.status == ScenarioStatus.APPROVED
    try:
        closed = services.scenario_close(
            actor=request.user, scenario_id=scenario.pk, expected_version=_posted_version(request)
        )
    except ConflictError:
        return _action_page(
            request,
            selectors.scenario_get(pk=pk),
            "close",
            error="The scenario changed since you opened it. Nothing was closed: check the "
            "latest version, then close it again",
            conflict=True,
        )
    except services.SurgeError as exc:
        return _action_page(request, selectors.scenario_get(pk=pk), "close", error=str(exc))
    text = "Scenario closed"
    if was_approved:
        text += ": its people are free for other scenarios again"
    messages.success(request, text)
    return redirect(_detail_url(closed))


# --- downloads -----------------------------------------------------------------------


def _export(request, pk, kind: str, fmt: str):
    if fmt not in exports.FORMATS:
        raise Http404("Unknown format")
    scenario = selectors.scenario_get(pk=pk)
    services.scenario_access_record(
        actor=request.user,
        scenario=scenario,
        action=Action.EXPORT,
        parameters={"export": kind, "format": fmt, "rows": scenario.allocations.count()},
    )
    return exports.export(scenario, kind, fmt, viewer=request.user)


@requires(Cap.SURGE_VIEW)
@require_POST
@throttle("export")
def export_allocations(request, pk, fmt):
    return _export(request, pk, "allocations", fmt)


@requires(Cap.SURGE_VIEW)
@require_POST
@throttle("export")
def export_releases(request, pk, fmt):
    return _export(request, pk, "releases", fmt)


@requires(Cap.SURGE_VIEW)
@require_POST
@throttle("export")
def export_training(request, pk, fmt):
    return _export(request, pk, "training", fmt)
