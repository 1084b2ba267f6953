"""Delete old rows of the workforce change sequence.

A process that has not yet read the deleted rows cannot catch up from the
table any more, so the command appends one "everything changed" row in the
same transaction: every process rebuilds its index at its next search.
"""

import datetime as dt

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from skills_app.index.changes import workforce_changed
from skills_app.people.models import ChangeScope, WorkforceChange


class Command(BaseCommand):
    help = "Delete workforce change rows older than --days (default 7); processes then rebuild."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, days: int, **options):
        cutoff = timezone.now() - dt.timedelta(days=days)
        with transaction.atomic():
            deleted, _ = WorkforceChange.objects.filter(at__lt=cutoff).delete()
            if deleted:
                workforce_changed(ChangeScope.ALL)
        self.stdout.write(f"Deleted {deleted} change rows older than {days} days.")
