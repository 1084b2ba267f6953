"""HR bulk imports (DESIGN.md section 7): people, person skills, role history and role
profiles, from CSV or XLSX.

Every row is checked before anything is written; one bad row means nothing is written,
and the answer lists every bad row (row number as the spreadsheet shows it, column,
message and, for unknown skills, the nearest taxonomy names). Writes upsert by natural
key in one transaction, touching only rows that change, so re-importing a file changes
nothing. See ``service`` for the entry points and ``kinds`` for the columns.

Result (``ImportJob.result``, and the API's answer)::

    {ok, kind, dry_run, detail, rows, created, updated, unchanged, [org_units_created |
     requirements], error_count, errors: [{row, column, message, suggestions}],
     matched_skills: [{row, rows, row_count, given, skill: {id, name}}]}

``errors`` lists at most ``MAX_ERRORS``; ``error_count`` counts them all. A problem with
the file as a whole (type, encoding, header, size) is the single error, with row and
column null. ``matched_skills`` lists the skill labels matched by a misspelling or
another word order (not the skill's own name or alias, give or take case and
punctuation, nor its URI), so HR can check them.
"""

from skills_app.imports.errors import MAX_ERRORS, FileProblem, ImportConflict
from skills_app.imports.kinds import KINDS, template_csv
from skills_app.imports.reading import MAX_FILE_BYTES
from skills_app.imports.service import (
    UnknownKind,
    import_create_job,
    import_file,
    import_precheck,
    import_run_job,
    import_submit,
    job_finished,
    job_get,
    job_percent,
    phase_label,
    recent_jobs,
)

__all__ = [
    "KINDS",
    "MAX_ERRORS",
    "MAX_FILE_BYTES",
    "FileProblem",
    "ImportConflict",
    "UnknownKind",
    "import_create_job",
    "import_file",
    "import_precheck",
    "import_run_job",
    "import_submit",
    "job_finished",
    "job_get",
    "job_percent",
    "phase_label",
    "recent_jobs",
    "template_csv",
]
