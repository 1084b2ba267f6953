"""Mark "draft everyone" runs whose worker stopped reporting as failed. ``run_worker``
runs it every minute; run it by hand after a crash if no worker is running."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from skills_app.people.draft_runs import reap_stale_draft_runs


class Command(BaseCommand):
    help = "Fail draft runs whose worker stopped reporting."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-after",
            type=int,
            default=None,
            metavar="SECONDS",
            help="A running run with no heartbeat for this long is reaped "
            "(default: the DRAFT_RUN_STALE_SECONDS setting).",
        )

    def handle(self, *args, stale_after=None, **options):
        reaped = reap_stale_draft_runs(
            stale_after=None if stale_after is None else timedelta(seconds=max(0, stale_after))
        )
        if options["verbosity"] >= 1:
            self.stdout.write(f"Reaped {reaped} draft runs.")
