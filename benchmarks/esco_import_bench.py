"""Time `import_esco` (the shipped ESCO v1.1.1 set) into the database in DATABASE_URL.

Run by `make bench`; target: the 13,896 skills and their ~85,000 distinct alternative labels
(plus groups, relations and occupations) in under 60 s on PostgreSQL. The second run
measures an idempotent re-import.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skills_app.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from taxonomy.importers.esco import import_esco  # noqa: E402
from taxonomy.models import Skill, SkillAlias  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    print(f"{'run':<12}{'seconds':>10}{'skills':>10}{'aliases':>10}  changed")
    for run in ("first", "re-import"):
        started = time.perf_counter()
        result = import_esco()
        elapsed = time.perf_counter() - started
        print(
            f"{run:<12}{elapsed:>10.1f}{Skill.objects.filter(source='esco').count():>10}"
            f"{SkillAlias.objects.count():>10}  {result.changed}"
        )


if __name__ == "__main__":
    main()
