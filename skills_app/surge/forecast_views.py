"""A line's forecast page (DESIGN.md section 11): enter, preview, save or remove the
demand model that gives a surge line its posts week by week.

Planners and administrators (``SURGE_EDIT``) only: the page changes the scenario.
"Preview" writes nothing: it shows the posts needed each week as a chart and a
table with the arithmetic behind each week. "Save forecast" and "Remove forecast"
go through ``services.line_forecast_set`` with the line's version the page was
opened at; saving over a newer version of the line (its forecast saved from another
page, or the line changed in the editor) writes nothing and answers 409 with what
is saved now beside what was typed. Editor saves keep the ids of the lines they
keep, so an edit elsewhere in the scenario does not make the page out of date. An
approved or closed scenario cannot change.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from matching.demand import DemandError
from skills_app.accounts.permissions import Cap, requires
from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import CONFLICT_STATUS, rebound_at_version, render_edit_page
from skills_app.surge import selectors, services
from skills_app.surge.forecast_chart import posts_chart
from skills_app.surge.forecast_forms import MAX_PASTE_CHARS, ForecastForm
from skills_app.surge.forecasts import demand_from_json, demand_json, peak_posts, week_dates

CONFLICT_MESSAGE = (
    "Someone else changed this line since you opened this page. Your forecast has not "
    "been saved. Check what is saved now, then save again to replace it with yours"
)
REMOVE_CONFLICT_MESSAGE = (
    "Someone else changed this line since you opened this page. The forecast has not "
    "been removed. Check what is saved now, then remove it again"
)
STALE_MESSAGE = "This form is out of date: open the forecast again from the scenario"


LINE_GONE_MESSAGE = (
    "This line was removed from the scenario since you opened this page, so nothing was "
    "changed. Open a line’s forecast again from the scenario"
)


def _line(scenario, line_id: int):
    """The line and its number (from 1) in the scenario, or None."""
    for number, line in enumerate(selectors.scenario_lines(scenario), start=1):
        if line.pk == line_id:
            return line, number
    return None


def _summary(demand: dict | None, headcount: int) -> str:
    """A stored or typed forecast in a few words, for the conflict panel."""
    if not demand:
        return f"No forecast: {headcount:,} post{'s' if headcount != 1 else ''}"
    try:
        model = demand_from_json(demand)
    except DemandError:
        return "A forecast that is no longer valid"
    weeks = model.n_weeks
    return (
        f"{weeks} week{'s' if weeks != 1 else ''} of {model.item_name}, "
        f"{model.handling_minutes:g} minutes each: {peak_posts(model):,} posts in the busiest week"
    )


def _preview(form: ForecastForm, scenario, number: int, line) -> dict:
    model = form.model
    weeks = model.weeks()
    dates = week_dates(scenario.weeks_from, model.n_weeks) if scenario.weeks_from else None
    rows = [{"week": week, "date": dates[week.week - 1] if dates else None} for week in weeks]
    return {
        "weeks": rows,
        "peak": max(w.posts for w in weeks),
        "chart": posts_chart(
            weeks,
            title=f"Chart: posts needed each week for line {number}, {line.role_profile.title}",
        ),
        "item_name": model.item_name,
        "ramp": [round(r * 100, 1) for r in model.ramp],
        # Weeks pasted as dates that do not start where the scenario's week 1 does.
        "first_date": form.first_date
        if form.first_date and form.first_date != scenario.weeks_from
        else None,
    }


def _page(request, scenario, line, number, form, *, status=200, **extra):
    frozen = selectors.is_frozen(scenario)
    return render_edit_page(
        request,
        "surge/forecast.html",
        {
            "scenario": scenario,
            "line": line,
            "number": number,
            "form": form,
            "frozen": frozen,
            "has_errors": bool(form.errors) or bool(extra.get("error")),
            **extra,
        },
        status=status,
    )


def _posted_version(request) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@requires(Cap.SURGE_EDIT)
@require_http_methods(["GET", "POST"])
def line_forecast(request, pk, line_id):
    scenario = selectors.scenario_get(pk=pk)
    found = _line(scenario, line_id)
    if found is None:
        if request.method != "POST":
            raise Http404("No such line in this scenario")
        # The line was removed in the editor since the page was opened. What was typed
        # is shown so it can be copied, and nothing is written.
        return render_edit_page(
            request,
            "surge/forecast_gone.html",
            {
                "scenario": scenario,
                "error": LINE_GONE_MESSAGE,
                "volumes": request.POST.get("volumes", "")[:MAX_PASTE_CHARS],
            },
            status=CONFLICT_STATUS,
        )
    line, number = found
    if selectors.is_frozen(scenario):
        refusal = (
            f"This scenario is {scenario.get_status_display().lower()}: its forecasts cannot change"
        )
        if request.method != "POST":
            messages.info(request, refusal)
            return redirect(reverse("surge:detail", args=[scenario.pk]))
        form = ForecastForm(initial=ForecastForm.initial_for(line.demand, line.version))
        return _page(request, scenario, line, number, form, status=CONFLICT_STATUS, error=refusal)
    if request.method != "POST":
        form = ForecastForm(initial=ForecastForm.initial_for(line.demand, line.version))
        return _page(request, scenario, line, number, form)

    action = request.POST.get("action", "preview")
    if action == "remove":
        return _remove(request, scenario, line, number)
    form = ForecastForm(request.POST, request.FILES)
    valid = form.is_valid()
    if valid and action == "save" and form.cleaned_data["version"] is None:
        form.add_error(None, STALE_MESSAGE)
        valid = False
    if not valid:
        return _page(request, scenario, line, number, form)
    preview = _preview(form, scenario, number, line)
    if action != "save":
        return _page(request, scenario, line, number, form, preview=preview)
    try:
        services.line_forecast_set(
            actor=request.user,
            scenario_id=scenario.pk,
            line_id=line.pk,
            expected_version=form.cleaned_data["version"],
            demand=form.model,
        )
    except ConflictError as exc:
        current = exc.current
        saved_line = current.lines.filter(pk=line.pk).first()
        conflict = [
            {
                "label": f"Forecast for line {number}",
                "yours": _summary(demand_json(form.model), 0),
                "saved": _summary(saved_line.demand, saved_line.headcount)
                if saved_line
                else "This line was removed in the scenario editor",
            }
        ]
        # form.data, not request.POST: it holds an uploaded file's rows in the box.
        form = rebound_at_version(
            ForecastForm,
            form.data,
            saved_line.version if saved_line else line.version,
            message=CONFLICT_MESSAGE,
        )
        return _page(request, current, line, number, form, conflict=conflict, preview=preview)
    except services.SurgeError as exc:
        form.add_error(None, str(exc))
        current = selectors.scenario_get(pk=scenario.pk)
        status = CONFLICT_STATUS if selectors.is_frozen(current) else 200
        return _page(request, current, line, number, form, status=status, preview=preview)
    messages.success(
        request,
        f"Forecast saved for line {number}, {line.role_profile.title}: "
        f"{preview['peak']:,} posts in the busiest week. Solve the scenario again to see "
        "who fills it week by week",
    )
    return redirect(reverse("surge:detail", args=[scenario.pk]))


def _remove(request, scenario, line, number):
    version = _posted_version(request)
    form = ForecastForm(initial=ForecastForm.initial_for(line.demand, line.version))
    if version is None:
        return _page(request, scenario, line, number, form, error=STALE_MESSAGE)
    try:
        services.line_forecast_set(
            actor=request.user,
            scenario_id=scenario.pk,
            line_id=line.pk,
            expected_version=version,
            demand=None,
        )
    except ConflictError as exc:
        current = exc.current
        saved_line = current.lines.filter(pk=line.pk).first()
        conflict = [
            {
                "label": f"Forecast for line {number}",
                "yours": "Removed",
                "saved": _summary(saved_line.demand, saved_line.headcount)
                if saved_line
                else "This line was removed in the scenario editor",
            }
        ]
        form = ForecastForm(
            initial=ForecastForm.initial_for(
                saved_line.demand if saved_line else line.demand,
                saved_line.version if saved_line else line.version,
            )
        )
        return _page(
            request, current, line, number, form, conflict=conflict, error=REMOVE_CONFLICT_MESSAGE
        )
    except services.SurgeError as exc:
        current = selectors.scenario_get(pk=scenario.pk)
        status = CONFLICT_STATUS if selectors.is_frozen(current) else 200
        return _page(request, current, line, number, form, status=status, error=str(exc))
    messages.success(
        request,
        f"Forecast removed from line {number}, {line.role_profile.title}: it now needs "
        f"{line.headcount:,} post{'s' if line.headcount != 1 else ''} every week, its busiest "
        "week's posts. Change the scenario to set another number",
    )
    return redirect(reverse("surge:detail", args=[scenario.pk]))
