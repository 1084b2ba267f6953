"""The page side of optimistic concurrency (the write side is
``skills_app.core.concurrency``).

When a service raises ConflictError, the view shows the same page again: what
was typed, now carrying the version saved since (so saving once more is a
deliberate overwrite of what the editor has now seen), a message that nothing
was saved, and the conflict panel with what is saved now. Such a page answers
409 Conflict, so a test, an htmx swap or a proxy log can tell "someone else
saved first" from an ordinary form error.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

CONFLICT_STATUS = 409


def posted_at_version(data, version: int):
    """A copy of the posted values whose ``version`` is the one saved now."""
    data = data.copy()
    data["version"] = str(version)
    return data


def rebound_at_version(form_class, data, version: int, *, message: str, **form_kwargs):
    """``form_class`` bound to what was posted at the current ``version``,
    validated (so it shows what was typed) and carrying ``message`` above the
    fields."""
    form = form_class(posted_at_version(data, version), **form_kwargs)
    form.is_valid()
    form.add_error(None, message)
    return form


def render_edit_page(request, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """Render an edit page; one whose context carries a conflict panel
    (``conflict``: the saved-against-yours rows, the current row, or True)
    answers 409 whatever ``status`` says."""
    if context.get("conflict"):
        status = CONFLICT_STATUS
    return render(request, template, context, status=status)
