"""The task worker with housekeeping: ``manage.py run_worker`` takes every option of
django-tasks-db's ``db_worker`` and also runs the management commands listed in the
``WORKER_HOUSEKEEPING`` setting, each every so many seconds::

    WORKER_HOUSEKEEPING = [("reap_import_jobs", 60), ...]

They run in a thread beside the worker loop (with its own database connection), so
they keep running while the worker is busy with a long task. With ``--batch`` they run
once, before the queued tasks. A failing command is logged and tried again at its next
turn; it never stops the worker.

(The hook is a thread because ``db_worker``'s loop has no extension point; this
command only wraps ``handle``, so it follows django-tasks-db's options as they change.)
"""

import logging
import os
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

logger = logging.getLogger("skills_app.worker")


class Housekeeper(threading.Thread):
    def __init__(self, schedule, *, tick: float = 1.0):
        super().__init__(name="worker-housekeeping", daemon=True)
        self.schedule = [(str(name), float(every)) for name, every in schedule]
        self.tick = tick
        self.stopped = threading.Event()
        self.due = {name: 0.0 for name, _ in self.schedule}  # all due at once

    def run_due(self, *, own_connection: bool = False) -> list[str]:
        """Run every command whose turn has come; return their names. In the thread
        (``own_connection``), its database connection is closed after each."""
        ran = []
        now = time.monotonic()
        for name, every in self.schedule:
            if now < self.due[name]:
                continue
            self.due[name] = now + every
            ran.append(name)
            try:
                call_command(name, verbosity=0)
            except Exception as exc:  # noqa: BLE001 - logged; tried again next turn
                logger.error("housekeeping %s failed: %s", name, type(exc).__name__)
            finally:
                if own_connection:
                    connections.close_all()
        return ran

    def run(self) -> None:
        while not self.stopped.is_set():
            self.run_due(own_connection=True)
            self.stopped.wait(self.tick)

    def stop(self) -> None:
        self.stopped.set()


class Command(DbWorkerCommand):
    help = "Run the background task worker and its housekeeping (WORKER_HOUSEKEEPING)."

    def handle(self, *args, **options):
        keeper = Housekeeper(getattr(settings, "WORKER_HOUSEKEEPING", []))
        batch = options.get("batch")
        reloading = options.get("reload") and not batch
        if batch:
            keeper.run_due()
        elif not reloading or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            # (With --reload the parent process only watches files: the child works.)
            keeper.start()
        try:
            super().handle(*args, **options)
        finally:
            keeper.stop()
