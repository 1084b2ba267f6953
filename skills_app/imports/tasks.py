"""Background tasks for the people app, run by ``manage.py db_worker`` (django-tasks-db).

``make demo`` starts the worker beside the web server.
"""

from django.tasks import task

from skills_app.imports.service import import_run_job


@task()
def run_import_job(job_id: str) -> dict:
    """Check and import one uploaded HR file (an ImportJob). Returns only the outcome's
    status and counts; the full result, with any row errors, stays on the job."""
    job = import_run_job(job_id=job_id)
    result = job.result or {}
    return {
        "job": str(job.pk),
        "status": job.status,
        "rows": result.get("rows", 0),
        "error_count": result.get("error_count", 0),
    }
