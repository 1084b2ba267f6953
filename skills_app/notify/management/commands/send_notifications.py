"""Send the notifications that are due, once. ``run_worker`` runs it every 30 s
(``WORKER_HOUSEKEEPING``); run it by hand to flush the queue without a worker."""

from django.core.management.base import BaseCommand

from skills_app.notify.services import send_due


class Command(BaseCommand):
    help = "Send queued notifications and retry failed ones whose backoff has passed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=100, help="At most this many (default 100)."
        )

    def handle(self, *args, limit=100, **options):
        summary = send_due(limit=max(1, limit))
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Sent {summary.sent}; failed {summary.failed} (will retry); "
                f"gave up {summary.dead}."
            )
