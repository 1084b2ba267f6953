"""``manage.py seed_demo --people N --seed S [--reset]``: a fictional demo department
(see skills_app.demo.generator)."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from skills_app.demo.generator import DEMO_URL, DemoError, seed_demo


class Command(BaseCommand):
    help = (
        "Generate a believable, fictional department (org tree, people, skills, role history, "
        "qualifications) plus demo logins for every role. The same --seed gives the same data. "
        "If people already exist and --reset is not given, only the demo logins' passwords are "
        "refreshed. --reset deletes all people, organisation units, surge scenarios and the "
        "demo logins first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=2000, help="head count (default 2000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--reset", action="store_true", help="delete existing people and org data first"
        )
        parser.add_argument(
            "--password",
            help="use this password for every demo login instead of fresh random passphrases",
        )
        parser.add_argument(
            "--logins-file",
            type=Path,
            help="write the demo logins table to this file (readable by you only) instead of "
            "printing it; `make demo` prints it once the site answers",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="permit running with MUSTER_ENV=production (creates an admin login!)",
        )

    def handle(
        self, *args, people, seed, reset, password, logins_file, allow_production, verbosity, **opts
    ):
        if getattr(settings, "PRODUCTION", False) and not allow_production:
            raise CommandError(
                "Refusing to seed demo data and demo logins in production "
                "(pass --allow-production if you really mean it)."
            )
        progress = self.stdout.write if verbosity >= 2 else None
        try:
            result = seed_demo(
                people=people, seed=seed, reset=reset, password=password, progress=progress
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc

        if result.seeded:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {result.people:,} people in {result.org_units:,} organisation units "
                    f"with {result.person_skills:,} skills, {result.role_history:,} role history "
                    f"rows and {result.qualifications:,} qualifications "
                    f"in {result.seconds:.1f}s (seed {seed})."
                )
            )
        else:
            self.stdout.write(
                f"{result.people:,} people already exist: kept them and refreshed the demo "
                "logins only (use --reset to regenerate the department)."
            )
        heading, table = _logins_table(result.logins, fixed=bool(password))
        if logins_file:
            _write_private(logins_file, "\n".join([heading, *table]) + "\n")
            self.stdout.write(f"Demo logins written to {logins_file}.")
            return
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(heading))
        for line in table:
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(f"Sign in at {DEMO_URL}")


def _logins_table(logins, *, fixed: bool) -> tuple[str, list[str]]:
    headers = ("Role", "Username", "Password", "Person")
    widths = [max(len(h), *(len(row[i]) for row in logins)) for i, h in enumerate(headers)]

    def line(values):
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    note = "the password you gave" if fixed else "new passwords for this run"
    rows = [line(headers), line(["-" * w for w in widths]), *(line(row) for row in logins)]
    return f"Demo logins ({note}):", rows


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable and writable by its owner only: it holds the
    demo logins' passwords."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file may have been readable by others
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
