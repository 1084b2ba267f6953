"""Background solve of a surge scenario, run by ``manage.py db_worker``."""

import logging

from django.tasks import task

from skills_app.surge.models import SurgeScenario
from skills_app.surge.services import SurgeError, scenario_solve, solve_progress_recorder

logger = logging.getLogger(__name__)


@task()
def solve_scenario(scenario_id: int) -> dict:
    try:
        scenario = scenario_solve(
            scenario_id=scenario_id, progress=solve_progress_recorder(scenario_id)
        )
    except SurgeError as exc:
        SurgeScenario.objects.filter(pk=scenario_id).update(
            solve_state="failed", solve_message=str(exc)[:500]
        )
        return {"scenario": scenario_id, "status": "failed"}
    except Exception:
        logger.exception("surge solve %s failed", scenario_id)
        SurgeScenario.objects.filter(pk=scenario_id).update(
            solve_state="failed", solve_message="The solve failed unexpectedly; try again"
        )
        raise
    return {"scenario": scenario_id, "status": scenario.status, "filled": scenario.result["filled"]}
