"""What the own-profile pages share: the ``own_profile`` decorator, labels for
levels and dates, and the edit flows' "no longer on your profile" and
"Are you sure you want to remove" pages.

Edits carry the version they were read at; when someone else saved in between
the form comes back with CONFLICT_MESSAGE and the saved values beside the ones
entered (``skills_app.core.conflicts``), and nothing is written.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from skills_app.accounts.permissions import Cap, requires
from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import CONFLICT_STATUS, rebound_at_version, render_edit_page
from skills_app.people.forms import RemoveForm
from skills_app.people.models import Person
from taxonomy.models import LEVEL_NAMES


def own_profile(view):
    """The user's own staff record as the view's second argument; users with
    no linked record get the explanation page (200: it is not an error)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        person = (
            Person.objects.select_related("org_unit", "line_manager")
            .filter(user=request.user)
            .first()
        )
        if person is None:
            return render(request, "people/no_person.html")
        return view(request, person, *args, **kwargs)

    return requires(Cap.PROFILE_EDIT_OWN)(wrapped)


def profile_url(anchor: str = "") -> str:
    url = reverse("people:my_profile")
    return f"{url}#{anchor}" if anchor else url


def level_label(level: int | None) -> str:
    return f"{level} {LEVEL_NAMES.get(level, '')}".strip() if level else "Not given"


def month_label(value, *, current: str = "In current use") -> str:
    return value.strftime("%B %Y") if value else current


def day_label(value, *, blank: str = "Not given") -> str:
    return f"{value.day} {value:%B %Y}" if value else blank


CONFLICT_MESSAGE = (
    "Someone else changed this {thing} since you opened it. Your changes have not been "
    "saved. Check the saved values, then save again to replace them with yours"
)


GONE_ADD_URLS = {
    "skill": ("people:skill_add", "skills"),
    "language": ("people:language_add", "languages"),
    "role": ("people:role_add", "roles"),
    "qualification": ("people:qualification_add", "qualifications"),
}


def gone_page(request, thing: str, *, removing: bool = False):
    """The row was removed since the page was opened (by another tab, or by HR):
    a conflict too, reported rather than shown as "page not found"."""
    add_url, anchor = GONE_ADD_URLS[thing]
    return render(
        request,
        "people/gone.html",
        {
            "thing": thing,
            "removing": removing,
            "add_url": reverse(add_url),
            "back": profile_url(anchor),
        },
        status=CONFLICT_STATUS,
    )


def row_or_gone(request, finder, *, person, pk, thing, removing=False):
    """(row, None), or on a POST for a row that is not on the profile (any
    more) (None, the "no longer on your profile" page). A GET is a 404."""
    try:
        return finder(person=person, pk=pk), None
    except Http404:
        if request.method != "POST":
            raise
        return None, gone_page(request, thing, removing=removing)


def remove_page(request, *, thing, name, action_url, form, current_rows, back, **extra):
    return render_edit_page(
        request,
        "people/remove.html",
        {
            "thing": thing,
            "name": name,
            "action_url": action_url,
            "form": form,
            "current_rows": current_rows,
            "back": back,
            **extra,
        },
    )


def remove_flow(request, *, row, thing, name, rows_for, remove, anchor, action_url):
    """GET asks "Are you sure?"; POST removes the row it was asked about, unless
    it changed (the page comes back with the saved values) or went."""
    back = profile_url(anchor)

    def page(form, shown, **extra):
        return remove_page(
            request,
            thing=thing,
            name=name,
            action_url=action_url,
            form=form,
            current_rows=rows_for(shown),
            back=back,
            **extra,
        )

    if request.method != "POST":
        return page(RemoveForm(initial={"version": row.version}), row)
    form = RemoveForm(request.POST)
    if form.is_valid():
        try:
            remove(form.cleaned_data["version"])
        except ConflictError as exc:
            if exc.current is None:
                return gone_page(request, thing, removing=True)
            form = rebound_at_version(
                RemoveForm,
                {},
                exc.current.version,
                message=f"Someone else changed this {thing} since you opened it. It has not "
                "been removed. Check the saved values, then remove it again if you still want to",
            )
            return page(form, exc.current, conflict=True)
        messages.success(request, f"You removed {name} from your profile")
        return redirect(back)
    return page(form, row)
