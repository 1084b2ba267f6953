"""HR's "Draft everyone's skills" pages (DESIGN 9): what a run does and a button to
start it, then its progress (refreshed by htmx polling a fragment every second,
and without JavaScript by a "Refresh this page" link) and its result.

Mounted under the HR import pages (``imports:drafts``...): drafting everyone reads
the role history and qualifications HR loads there. Runs are about everyone, not
one person, so any HR user may follow any run. Run ids are UUIDs.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from skills_app.accounts.permissions import Cap, requires
from skills_app.people.draft_runs import (
    active_run,
    draft_run_get,
    draft_run_start,
    draftable_people,
    recent_runs,
    run_finished,
    run_percent,
)
from skills_app.people.models import DraftRun, DraftRunStatus

STATUS_TAGS = {
    DraftRunStatus.QUEUED: "govuk-tag--grey",
    DraftRunStatus.RUNNING: "govuk-tag--blue",
    DraftRunStatus.SUCCEEDED: "govuk-tag--green",
    DraftRunStatus.FAILED: "govuk-tag--red",
}
SOURCE_LABELS = {
    "role_level": "Roles held, from the role library",
    "job_title": "Job titles matched to the role library",
    "occupation": "Job titles matched to an ESCO occupation",
    "qualification": "Qualifications",
}


def _run_context(run: DraftRun) -> dict:
    result = run.result or {}
    return {
        "run": run,
        "finished": run_finished(run),
        "percent": run_percent(run),
        "result": result,
        "ok": run.status == DraftRunStatus.SUCCEEDED,
        "tag_class": STATUS_TAGS.get(run.status, ""),
        "status_label": DraftRunStatus(run.status).label,
        "by_source": [
            (SOURCE_LABELS.get(kind, kind), n)
            for kind, n in (result.get("by_source") or {}).items()
        ],
    }


@requires(Cap.IMPORT_HR)
@require_http_methods(["GET", "POST"])
def start(request):
    if request.method == "POST":
        run, _created = draft_run_start(actor=request.user)
        url = reverse("imports:draft_run", kwargs={"run_id": run.pk})
        return redirect(url if _created else f"{url}?already=1")
    runs = [
        {
            "run": run,
            "tag_class": STATUS_TAGS.get(run.status, ""),
            "status_label": run.get_status_display(),
        }
        for run in recent_runs()
    ]
    return render(
        request,
        "people/draft_run_start.html",
        {"active": active_run(), "people": draftable_people().count(), "runs": runs},
    )


def _run(run_id) -> DraftRun:
    try:
        return draft_run_get(run_id=run_id)
    except DraftRun.DoesNotExist:
        raise Http404 from None


@requires(Cap.IMPORT_HR)
def run_detail(request, run_id):
    context = _run_context(_run(run_id)) | {"already": request.GET.get("already") == "1"}
    return render(request, "people/draft_run.html", context)


@requires(Cap.IMPORT_HR)
def run_progress(request, run_id):
    """The progress fragment htmx polls; once the run has finished, htmx reloads the
    whole page (HX-Refresh) to show the result."""
    context = _run_context(_run(run_id))
    if context["finished"] and request.htmx:
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "people/draft_run.html#progress", context)
