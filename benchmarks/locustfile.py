"""Planners searching (issue 17's load test), for ``benchmarks/load_bench.py``.

Each simulated planner has an API token and a signed-in session (both made by
load_bench and passed in the JSON file ``MUSTER_LOAD_USERS``) and, with short
pauses, ranks the workforce: a saved role or an inline set of requirements through
``POST /api/v1/match`` (50 explained results), or the search page for a saved role.
"""

import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, task

SETUP = json.loads(Path(os.environ["MUSTER_LOAD_USERS"]).read_text(encoding="utf-8"))
_next = iter(range(10**9))


class Planner(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self):
        me = SETUP["users"][next(_next) % len(SETUP["users"])]
        self.token = me["token"]
        self.client.cookies.set("sessionid", me["session"])
        self.rng = random.Random(me["token"])

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}

    @task(4)
    def saved_role(self):
        role = self.rng.choice(SETUP["roles"])
        self.client.post(
            "/api/v1/match",
            data=json.dumps({"role": role, "limit": 50}),
            headers=self._headers(),
            name="API: saved role",
        )

    @task(4)
    def inline(self):
        skills = self.rng.sample(SETUP["skills"], 12)
        body = {
            "requirements": [
                {"skill": s, "level": self.rng.randint(1, 4), "essential": i < 2}
                for i, s in enumerate(skills)
            ],
            "threshold": 0.5,
            "limit": 50,
        }
        self.client.post(
            "/api/v1/match", data=json.dumps(body), headers=self._headers(), name="API: inline"
        )

    @task(2)
    def search_page(self):
        role = self.rng.choice(SETUP["roles"])
        self.client.get(f"/roles/{role}/search/", name="Search page")
