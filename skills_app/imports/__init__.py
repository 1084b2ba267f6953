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

# The names below are loaded on first use (PEP 562), so that the package can be an
# installed app (for its management commands) without importing models at start-up.
_EXPORTS = {
    "MAX_ERRORS": "errors",
    "FileProblem": "errors",
    "ImportConflict": "errors",
    "KINDS": "kinds",
    "template_csv": "kinds",
    "MAX_FILE_BYTES": "reading",
    "UnknownKind": "service",
    "import_create_job": "service",
    "import_file": "service",
    "import_run_job": "service",
    "import_submit": "service",
    "job_finished": "service",
    "job_get": "service",
    "job_percent": "service",
    "phase_label": "service",
    "recent_jobs": "service",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
