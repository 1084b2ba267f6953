"""Production gunicorn configuration (README "Running in production").

    gunicorn -c gunicorn.conf.py skills_app.wsgi

Each worker builds its workforce index in ``post_worker_init``, before it accepts
a connection, and tells the arbiter it is alive while it builds, so a long build
(15-60 s at 500,000 people) is neither killed by ``timeout`` nor paid for by the
first planner's search. From then on the worker rebuilds off the request path
(skills_app/index/adapter.py ``FreshIndex``). ``/healthz/ready`` answers 200 once
a worker has its index.
"""

import os

bind = os.environ.get("MUSTER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# A request's own limit; index builds happen before traffic or in a thread.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycling a worker means another index build; do it rarely and staggered.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# No access log by default: gunicorn's format has the request line (README "Logging").
accesslog = None
# Workers build in post_worker_init below, not in a thread at import (skills_app/wsgi.py).
os.environ["MUSTER_WARM_INDEX"] = "gunicorn"


def post_worker_init(worker):
    from skills_app.index.adapter import warm_index

    seconds = warm_index(heartbeat=worker.notify)
    worker.log.info("workforce index loaded in %.1f s", seconds)
