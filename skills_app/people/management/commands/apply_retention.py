from django.core.management.base import BaseCommand

from skills_app.audit.services import audit_apply_retention
from skills_app.imports.service import delete_expired_uploads
from skills_app.notify.services import notify_forget_personal_data
from skills_app.people.services import people_anonymise_leavers


class Command(BaseCommand):
    help = (
        "Anonymise leavers past RETENTION_LEAVERS_DAYS, delete stored import uploads older "
        "than IMPORT_UPLOAD_RETENTION_DAYS, forget the address and name in notifications "
        "older than NOTIFY_RETENTION_DAYS, and forget audit rows older than "
        "RETENTION_AUDIT_DAYS (on PostgreSQL: create the coming months' audit partitions "
        "and drop expired months, which needs the owner role, MIGRATION_DATABASE_URL)."
    )

    def handle(self, *args, verbosity=1, **options):
        # The worker's housekeeping runs this with verbosity 0: counts only on demand.
        say = self.stdout.write if verbosity >= 1 else lambda _: None
        anonymised = people_anonymise_leavers()
        say(f"Anonymised {anonymised} leaver{'' if anonymised == 1 else 's'}")
        notified = notify_forget_personal_data()
        say(f"Forgot the address in {notified} old notification{'' if notified == 1 else 's'}")
        uploads = delete_expired_uploads()
        say(f"Deleted {uploads} expired upload{'' if uploads == 1 else 's'}")
        audit = audit_apply_retention()
        if audit.skipped:
            self.stderr.write(self.style.WARNING(f"Audit partitions not changed: {audit.skipped}"))
        else:
            say(
                f"Audit rows before {audit.cutoff:%Y-%m-%d}: deleted {audit.deleted_rows} rows, "
                f"dropped {len(audit.dropped)} monthly partitions, created {len(audit.created)}"
            )
