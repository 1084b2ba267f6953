"""Import pages: upload a file, see its result or progress. HR imports HR data and
taxonomy stewards the qualification-to-skills table (each kind names its capability,
``kinds.KindSpec.cap``); administrators import every kind. A user is offered only the
kinds they may import, and a kind they may not is refused (403).

An upload is stored and queued for the task worker, and the browser is sent to the
job page: it shows a progress bar, refreshed by htmx polling a fragment every second
(and, without JavaScript, by a "Refresh this page" link), then the outcome. The
request never opens the file, so no file can make it slow; every check runs in the
worker and its answer (wrong type, wrong header, a limit, bad rows) is on the job page.
After a clean dry run the page offers "Import this file", which imports the file that
was checked (kept for an hour, for its uploader only) without choosing it again.

A job is shown only to the person who started it and to administrators: anyone else
gets a 404. Job ids are UUIDs: no personal data is ever in a URL.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from skills_app.accounts.permissions import Cap, has_cap, requires
from skills_app.imports import (
    KINDS,
    MAX_FILE_BYTES,
    FileProblem,
    import_submit,
    job_finished,
    job_percent,
    phase_label,
    recent_jobs,
    template_csv,
)
from skills_app.imports.kinds import IMPORT_CAPS, kinds_for
from skills_app.imports.reading import describe_size
from skills_app.imports.service import (
    CheckedFileGone,
    NotYourFile,
    can_import_checked_file,
    check_upload_size,
    import_checked_file,
    job_get,
    purge_kept_files,
)
from skills_app.people.models import ImportJob, ImportStatus

STATUS_TAGS = {
    ImportStatus.QUEUED: "govuk-tag--grey",
    ImportStatus.RUNNING: "govuk-tag--blue",
    ImportStatus.SUCCEEDED: "govuk-tag--green",
    ImportStatus.REJECTED: "govuk-tag--red",
    ImportStatus.FAILED: "govuk-tag--red",
}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What does the file hold?",
        error_messages={
            "required": "Select what the file holds",
            "invalid_choice": "Select what the file holds",
        },
    )
    file = forms.FileField(
        label="Upload a file",
        help_text="A CSV file saved as UTF-8, or an Excel workbook (.xlsx), smaller than "
        f"{describe_size(MAX_FILE_BYTES)}. The first row must name the columns.",
        error_messages={
            "required": "Select a CSV or XLSX file",
            "empty": "The selected file is empty",
            "invalid": "Select a CSV or XLSX file",
        },
    )
    dry_run = forms.BooleanField(
        label="Check the file only (dry run)",
        help_text="Nothing is imported: you see any errors, and how many records would be "
        "added and updated.",
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, spec.label) for kind, spec in kinds_for(user).items()]


def _kind_label(kind: str) -> str:
    spec = KINDS.get(kind)
    return spec.label if spec is not None else kind


def _kinds(user):
    return [
        {
            "kind": kind,
            "label": spec.label,
            "summary": spec.summary,
            "columns": spec.columns,
            "names": ", ".join(spec.names),
        }
        for kind, spec in kinds_for(user).items()
    ]


def _job_context(job, user=None) -> dict:
    result = job.result or {}
    return {
        "can_import": user is not None and can_import_checked_file(job, user),
        "imported_job": result.get("imported_job"),
        "job": job,
        "finished": job_finished(job),
        "percent": job_percent(job),
        "phase_label": phase_label(job),
        "result": result,
        "ok": bool(result.get("ok")),
        "spec": KINDS.get(job.kind),
        "kind_label": _kind_label(job.kind),
        "file_problem": bool(result.get("errors")) and result["errors"][0]["row"] is None,
        "tag_class": STATUS_TAGS.get(job.status, ""),
        "status_label": "Checked"
        if job.dry_run and job.status == ImportStatus.SUCCEEDED
        else ImportStatus(job.status).label,
    }


@requires(*IMPORT_CAPS)
@require_http_methods(["GET", "POST"])
def home(request):
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            kind, dry_run = form.cleaned_data["kind"], form.cleaned_data["dry_run"]
            try:
                check_upload_size(
                    kind=kind,
                    filename=upload.name,
                    dry_run=dry_run,
                    user=request.user,
                    size=upload.size,
                )
                submitted = import_submit(
                    kind=kind,
                    filename=upload.name,
                    content=upload.read(),
                    dry_run=dry_run,
                    user=request.user,
                    keep=True,  # a clean dry run can then be imported from its page
                )
            except FileProblem as problem:
                form.add_error("file", problem.message)
            else:
                return redirect("imports:job", job_id=submitted.job.pk)
    else:
        # "Try again" on a failed job's page comes back with its kind chosen.
        kind = request.GET.get("kind")
        offered = kinds_for(request.user)
        if kind not in offered and len(offered) == 1:
            kind = next(iter(offered))  # the one kind this user imports, chosen for them
        form = ImportForm(initial={"kind": kind} if kind in offered else None, user=request.user)
        purge_kept_files()
    jobs = [
        {
            "job": job,
            "tag_class": STATUS_TAGS.get(job.status, ""),
            "kind_label": _kind_label(job.kind),
            "status_label": "Checked"
            if job.dry_run and job.status == ImportStatus.SUCCEEDED
            else ImportStatus(job.status).label,
        }
        for job in recent_jobs(user=request.user)
    ]
    return render(
        request,
        "imports/home.html",
        {
            "form": form,
            "kinds": _kinds(request.user),
            "jobs": jobs,
            "hr": any(spec.cap != Cap.IMPORT_TAXONOMY for spec in kinds_for(request.user).values()),
        },
    )


def _job(request, job_id) -> ImportJob:
    """The job, if it is the user's own (or the user is an administrator); else 404."""
    try:
        return job_get(job_id=job_id, user=request.user)
    except ImportJob.DoesNotExist:
        raise Http404 from None


@requires(*IMPORT_CAPS)
def job_detail(request, job_id):
    purge_kept_files()
    return render(request, "imports/job.html", _job_context(_job(request, job_id), request.user))


@requires(*IMPORT_CAPS)
@require_http_methods(["GET", "POST"])
def job_import(request, job_id):
    """Import the file a clean dry run checked ("Import this file" on its result page).
    GET shows the check's result page, with the button when it may be used."""
    job = _job(request, job_id)
    if request.method == "GET":
        purge_kept_files()
        job.refresh_from_db(fields=["kept_until", "content_sha256"])
        return render(request, "imports/job.html", _job_context(job, request.user))
    try:
        submitted = import_checked_file(
            job_id=job.pk, user=request.user, digest=request.POST.get("digest", "")
        )
    except NotYourFile:
        raise PermissionDenied from None
    except (CheckedFileGone, FileProblem) as problem:
        job.refresh_from_db(fields=["kept_until", "content_sha256", "result"])
        context = _job_context(job, request.user) | {"import_problem": problem.message}
        return render(request, "imports/job.html", context, status=409)
    return redirect("imports:job", job_id=submitted.job.pk)


@requires(*IMPORT_CAPS)
def job_progress(request, job_id):
    """The progress fragment htmx polls. When the job has finished, htmx reloads the
    whole page (HX-Refresh) so the result, with its error summary, is shown properly."""
    job = _job(request, job_id)
    context = _job_context(job)
    if context["finished"] and request.htmx:
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    context["announce"] = request.GET.get("phase", "") != job.phase
    return render(request, "imports/job.html#progress", context)


@requires(*IMPORT_CAPS)
def template_download(request, kind):
    """A CSV holding just the header row (with a BOM, so Excel opens it as UTF-8)."""
    if kind not in KINDS:
        raise Http404
    if not has_cap(request.user, KINDS[kind].cap):
        raise PermissionDenied
    response = HttpResponse("\ufeff" + template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="muster-{kind}-template.csv"'
    return response
