"""Your profile: role history (linked to the role library when the title
matches a role profile) and qualifications."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import rebound_at_version, render_edit_page
from skills_app.people import profile_services as services
from skills_app.people import selectors
from skills_app.people.forms import (
    QualificationChangeForm,
    QualificationForm,
    RoleChangeForm,
    RoleForm,
)
from skills_app.people.views_shared import (
    CONFLICT_MESSAGE,
    day_label,
    gone_page,
    month_label,
    own_profile,
    profile_url,
    remove_flow,
    row_or_gone,
)
from skills_app.roles.models import RoleProfile
from taxonomy.forms import apply_validation_error

# --- role history -----------------------------------------------------------------


def _role_rows(row) -> list[dict]:
    return [
        {"label": "Job title", "value": row.title},
        {"label": "Started", "value": month_label(row.start, current="Not given")},
        {"label": "Ended", "value": month_label(row.end, current="You still do this role")},
        {
            "label": "Role library",
            "value": row.role_profile.title if row.role_profile_id else "Not linked",
        },
    ]


def _role_page(request, form, *, row=None, offer=None, **extra):
    return render_edit_page(
        request, "people/role_form.html", {"form": form, "row": row, "offer": offer, **extra}
    )


def _role_match_for(title: str, row=None) -> RoleProfile | None:
    if row is not None and row.role_profile_id and title.casefold() == row.title.casefold():
        return row.role_profile
    return selectors.role_match(title)


@own_profile
@require_http_methods(["GET", "POST"])
def role_add(request, person):
    return _role_flow(request, person, row=None)


@own_profile
@require_http_methods(["GET", "POST"])
def role_change(request, person, pk):
    row, gone = row_or_gone(request, selectors.my_role, person=person, pk=pk, thing="role")
    return gone or _role_flow(request, person, row=row)


def _role_flow(request, person, *, row):
    """Title and dates; when the title is close to a role-library profile the
    page asks "Is this the ‘X’ role?" before saving, so the history can count
    towards matching (DESIGN.md section 4, prior role)."""
    form_class = RoleChangeForm if row is not None else RoleForm
    if request.method != "POST":
        initial = form_class.initial_for(row) if row is not None else {}
        offer = row.role_profile if row is not None and row.role_profile_id else None
        return _role_page(request, form_class(initial=initial), row=row, offer=offer)
    form = form_class(request.POST)
    if not form.is_valid():
        offered = form.cleaned_data.get("offered_role")
        offer = RoleProfile.objects.filter(pk=offered).first() if offered else None
        return _role_page(request, form, row=row, offer=offer)
    cd = form.cleaned_data
    match = _role_match_for(cd["title"], row)
    if match is not None and (cd["offered_role"] != match.pk or not cd["link_role"]):
        data = request.POST.copy()
        data["offered_role"] = str(match.pk)
        asked_before = cd["offered_role"] == match.pk
        form = form_class(data)
        form.is_valid()
        if asked_before:
            form.add_error("link_role", f"Select yes if this is the ‘{match.title}’ role")
        return _role_page(request, form, row=row, offer=match, asking=not asked_before)
    role_profile = match if match is not None and cd["link_role"] == "yes" else None
    try:
        if row is None:
            saved = services.profile_add_role(
                person=person,
                title=cd["title"],
                start=cd["start"],
                end=cd["end"],
                role_profile=role_profile,
            )
            text = f"You added the role {saved.title}"
        else:
            saved = services.profile_change_role(
                person=person,
                role_id=row.pk,
                expected_version=cd["version"],
                title=cd["title"],
                start=cd["start"],
                end=cd["end"],
                role_profile=role_profile,
            )
            text = f"You changed the role {saved.title}"
    except ConflictError as exc:
        if exc.current is None:
            return gone_page(request, "role")
        form = rebound_at_version(
            form_class,
            request.POST,
            exc.current.version,
            message=CONFLICT_MESSAGE.format(thing="role"),
        )
        entered = {
            "title": cd["title"],
            "start": cd["start"],
            "end": cd["end"],
            "role_profile": role_profile,
        }
        return _role_page(
            request,
            form,
            row=exc.current,
            offer=match,
            conflict=_role_conflict_rows(entered, exc.current),
        )
    except ValidationError as exc:
        _role_errors(form, exc)
        return _role_page(request, form, row=row, offer=match)
    messages.success(request, text)
    return redirect(profile_url("roles"))


def _errors_on_dates(form, exc: ValidationError, fields: dict[str, str]) -> None:
    """A service's ValidationError on the form: errors about a date go to the
    first of its day/month/year boxes (``fields``: model field -> form field)."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            for error in errors:
                for message in error.messages:
                    name = fields.get(key, key)
                    form.add_error(name if name in form.fields else None, message)
    else:
        apply_validation_error(form, exc)


def _role_errors(form, exc: ValidationError) -> None:
    _errors_on_dates(form, exc, {"start": "start_month", "end": "end_month"})


def _role_conflict_rows(entered: dict, current) -> list[dict]:
    def linked(profile):
        return profile.title if profile else "Not linked"

    return [
        {"label": "Job title", "yours": entered["title"], "saved": current.title},
        {
            "label": "Started",
            "yours": month_label(entered["start"], current="Not given"),
            "saved": month_label(current.start, current="Not given"),
        },
        {
            "label": "Ended",
            "yours": month_label(entered["end"], current="You still do this role"),
            "saved": month_label(current.end, current="You still do this role"),
        },
        {
            "label": "Role library",
            "yours": linked(entered["role_profile"]),
            "saved": linked(current.role_profile if current.role_profile_id else None),
        },
    ]


@own_profile
@require_http_methods(["GET", "POST"])
def role_remove(request, person, pk):
    row, gone = row_or_gone(
        request, selectors.my_role, person=person, pk=pk, thing="role", removing=True
    )
    if gone:
        return gone
    return remove_flow(
        request,
        row=row,
        thing="role",
        name=row.title,
        rows_for=_role_rows,
        remove=lambda version: services.profile_remove_role(
            person=person, role_id=row.pk, expected_version=version
        ),
        anchor="roles",
        action_url=reverse("people:role_remove", args=[row.pk]),
    )


# --- qualifications ---------------------------------------------------------------


def _qualification_rows(row) -> list[dict]:
    return [
        {"label": "Name", "value": row.name},
        {"label": "Awarded by", "value": row.issuer or "Not given"},
        {"label": "Awarded", "value": day_label(row.awarded)},
        {"label": "Expires", "value": day_label(row.expires, blank="Does not expire")},
    ]


def _qualification_conflict_rows(entered: dict, current) -> list[dict]:
    return [
        {"label": "Name", "yours": entered["name"], "saved": current.name},
        {
            "label": "Awarded by",
            "yours": entered["issuer"] or "Not given",
            "saved": current.issuer or "Not given",
        },
        {
            "label": "Awarded",
            "yours": day_label(entered["awarded"]),
            "saved": day_label(current.awarded),
        },
        {
            "label": "Expires",
            "yours": day_label(entered["expires"], blank="Does not expire"),
            "saved": day_label(current.expires, blank="Does not expire"),
        },
    ]


def _qualification_page(request, form, *, row=None, **extra):
    return render_edit_page(
        request, "people/qualification_form.html", {"form": form, "row": row, **extra}
    )


def _qualification_errors(form, exc: ValidationError) -> None:
    _errors_on_dates(form, exc, {"awarded": "awarded_day", "expires": "expires_day"})


@own_profile
@require_http_methods(["GET", "POST"])
def qualification_add(request, person):
    form = QualificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            saved = services.profile_add_qualification(
                person=person,
                name=cd["name"],
                issuer=cd["issuer"],
                awarded=cd["awarded"],
                expires=cd["expires"],
            )
        except ValidationError as exc:
            _qualification_errors(form, exc)
        else:
            messages.success(request, f"You added {saved.name}")
            return redirect(profile_url("qualifications"))
    return _qualification_page(request, form)


@own_profile
@require_http_methods(["GET", "POST"])
def qualification_change(request, person, pk):
    row, gone = row_or_gone(
        request, selectors.my_qualification, person=person, pk=pk, thing="qualification"
    )
    if gone:
        return gone
    if request.method != "POST":
        form = QualificationChangeForm(initial=QualificationChangeForm.initial_for(row))
        return _qualification_page(request, form, row=row)
    form = QualificationChangeForm(request.POST)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            saved = services.profile_change_qualification(
                person=person,
                qualification_id=row.pk,
                expected_version=cd["version"],
                name=cd["name"],
                issuer=cd["issuer"],
                awarded=cd["awarded"],
                expires=cd["expires"],
            )
        except ConflictError as exc:
            if exc.current is None:
                return gone_page(request, "qualification")
            entered = dict(cd)
            form = rebound_at_version(
                QualificationChangeForm,
                request.POST,
                exc.current.version,
                message=CONFLICT_MESSAGE.format(thing="qualification"),
            )
            return _qualification_page(
                request,
                form,
                row=exc.current,
                conflict=_qualification_conflict_rows(entered, exc.current),
            )
        except ValidationError as exc:
            _qualification_errors(form, exc)
        else:
            messages.success(request, f"You changed {saved.name}")
            return redirect(profile_url("qualifications"))
    return _qualification_page(request, form, row=row)


@own_profile
@require_http_methods(["GET", "POST"])
def qualification_remove(request, person, pk):
    row, gone = row_or_gone(
        request,
        selectors.my_qualification,
        person=person,
        pk=pk,
        thing="qualification",
        removing=True,
    )
    if gone:
        return gone
    return remove_flow(
        request,
        row=row,
        thing="qualification",
        name=row.name,
        rows_for=_qualification_rows,
        remove=lambda version: services.profile_remove_qualification(
            person=person, qualification_id=row.pk, expected_version=version
        ),
        anchor="qualifications",
        action_url=reverse("people:qualification_remove", args=[row.pk]),
    )
