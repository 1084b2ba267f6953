"""Write the shared workforce-index snapshot when one is due (issue 17).

Run by the task worker's housekeeping every few seconds (``WORKER_HOUSEKEEPING``):
cheap when nothing is due (two indexed queries); after a bulk change, many changes
or at a leaving day it builds the index once from one consistent database
snapshot and writes it for every process to map (skills_app/index/snapshot.py).
"""

from django.core.management.base import BaseCommand

from skills_app.index.snapshot import snapshot_root, write_if_due


class Command(BaseCommand):
    help = "Write the shared workforce-index snapshot if one is due (--force: now)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, force: bool, **options):
        if snapshot_root() is None:
            self.stdout.write("Snapshots are off: set MUSTER_INDEX_DIR to use them.")
            return
        why, path = write_if_due(force=force)
        if path is not None:
            self.stdout.write(f"Wrote {path.name} ({why}).")
