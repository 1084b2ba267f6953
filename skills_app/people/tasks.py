"""Background tasks of the people app, run by ``manage.py run_worker``."""

from django.tasks import task

from skills_app.people.draft_runs import draft_run_execute


@task()
def run_draft_run(run_id: str) -> dict:
    """Draft everyone (one DraftRun). Returns the outcome's status and counts; the
    full result stays on the run."""
    run = draft_run_execute(run_id=run_id)
    result = run.result or {}
    return {
        "run": str(run.pk),
        "status": run.status,
        "people": run.processed_people,
        "drafts_created": result.get("drafts_created", 0),
    }
