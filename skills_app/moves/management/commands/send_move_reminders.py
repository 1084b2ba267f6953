"""Queue the start and end reminders of moves (DESIGN 10): each once, by the task
worker's housekeeping (``WORKER_HOUSEKEEPING``); GOV.UK Notify sends them."""

from django.core.management.base import BaseCommand

from skills_app.moves.services import moves_send_reminders


class Command(BaseCommand):
    help = "Queue start reminders (moves starting within 2 days) and end reminders (within 7)."

    def handle(self, *args, **options):
        self.stdout.write(f"Queued {moves_send_reminders()} reminders.")
