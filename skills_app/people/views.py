"""Your profile: the signed-in member of staff keeps their own record current.

Every page here works on ``request.user.person`` and nothing else; a user whose
account has no staff record sees an explanation instead. Forms post back to
themselves (GOV.UK pattern) and redirect to the profile with a confirmation
banner. Edits carry the version they were read at; when someone else saved in
between, the form comes back with "Someone else changed this ... since you
opened it" and the saved values beside the ones entered, and nothing is written.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from skills_app.accounts.permissions import Cap, requires
from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import CONFLICT_STATUS, rebound_at_version, render_edit_page
from skills_app.people import profile_services as services
from skills_app.people import selectors
from skills_app.people.forms import (
    LanguageAddForm,
    PreferencesForm,
    QualificationChangeForm,
    QualificationForm,
    RemoveForm,
    RoleChangeForm,
    RoleForm,
    SkillAddForm,
    SkillChangeForm,
)
from skills_app.people.models import EvidenceKind, Person
from skills_app.roles.models import RoleProfile
from taxonomy.forms import apply_validation_error
from taxonomy.models import LEVEL_NAMES, Skill, SkillKind, SkillStatus

EVENTS_PER_PAGE = 25


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


def _profile_url(anchor: str = "") -> str:
    url = reverse("people:my_profile")
    return f"{url}#{anchor}" if anchor else url


def level_label(level: int | None) -> str:
    return f"{level} {LEVEL_NAMES.get(level, '')}".strip() if level else "Not given"


def month_label(value, *, current: str = "In current use") -> str:
    return value.strftime("%B %Y") if value else current


def day_label(value, *, blank: str = "Not given") -> str:
    return f"{value.day} {value:%B %Y}" if value else blank


# --- the profile --------------------------------------------------------------------


@requires(Cap.PROFILE_EDIT_OWN)
def my_profile(request):
    person = selectors.person_for_user(user=request.user)
    if person is None:
        return render(request, "people/my_profile.html", {"person": None})
    skills, languages = selectors.split_skills(person)
    today = timezone.localdate()
    qualifications = [
        (q, selectors.qualification_expiry(q, today=today)) for q in person.qualifications.all()
    ]
    return render(
        request,
        "people/my_profile.html",
        {
            "person": person,
            "skills": skills,
            "languages": languages,
            "roles": list(person.role_history.all()),
            "qualifications": qualifications,
            "review_due": selectors.review_due(person),
            "open_queries": [ps for ps in skills + languages if ps.queried_at or ps.query_note],
        },
    )


@own_profile
@require_http_methods(["GET", "POST"])
def mark_reviewed(request, person):
    if request.method == "POST":
        services.profile_mark_reviewed(person=person)
        messages.success(request, "Thank you: your profile is marked as up to date")
        return redirect("people:my_profile")
    return render(request, "people/reviewed.html", {"person": person})


# --- skills and languages -----------------------------------------------------------


def _levels_context(skill: Skill | None, *, value=None, errors=None) -> dict:
    return {
        "levels": selectors.level_descriptors(skill),
        "levels_skill": skill,
        "level_value": str(value) if value not in (None, "") else "",
        "level_errors": list(errors or []),
    }


@requires(Cap.PROFILE_EDIT_OWN)
def skill_levels(request):
    """htmx: the level radios with the chosen skill's own descriptors."""
    raw = request.GET.get("skill", "")
    skill = None
    if raw.isdigit():
        skill = Skill.objects.filter(pk=int(raw), status=SkillStatus.ACTIVE).first()
    level = request.GET.get("level", "")
    context = _levels_context(skill, value=level if level in {"1", "2", "3", "4"} else "")
    context["levels_live"] = True
    return render(request, "people/skill_form.html#levels", context)


def _skill_form_page(request, form, *, mode: str, skill: Skill | None, row=None, **extra):
    context = {
        "form": form,
        "mode": mode,
        "skill": skill,
        "row": row,
        "is_language": (skill is not None and skill.kind == SkillKind.LANGUAGE)
        or mode == "language",
        **_levels_context(skill, value=form["level"].value(), errors=form["level"].errors),
    }
    context.update(extra)
    return render_edit_page(request, "people/skill_form.html", context)


def _added_message(ps) -> str:
    return f"You added {ps.skill.name} at level {level_label(ps.level)}"


@own_profile
@require_http_methods(["GET", "POST"])
def skill_add(request, person):
    """Choose a skill with the autocomplete, then its level. Without JavaScript
    the level radios first show the generic scale; when the chosen skill has
    its own descriptors (DDaT skills) the page comes back once more with them,
    so the level is chosen against what it means for that skill."""
    if request.method != "POST":
        return _skill_form_page(request, SkillAddForm(), mode="skill", skill=None)
    form = SkillAddForm(request.POST)
    valid = form.is_valid()
    skill = form.picker_skill
    shown_for = request.POST.get("levels_for", "")
    if valid and skill is not None:
        if str(skill.pk) != shown_for and selectors.skill_has_own_descriptors(skill):
            return _skill_form_page(request, form, mode="skill", skill=skill, check_level=True)
        try:
            ps = services.profile_add_skill(
                person=person,
                skill=skill,
                level=form.cleaned_data["level"],
                last_used=form.cleaned_data["last_used"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _skill_errors_to_picker(form, exc)
            # Show the picker again, empty of the refused choice, so the person
            # can type another skill (with or without JavaScript).
            form.picker_skill = skill = None
        else:
            messages.success(request, _added_message(ps))
            return redirect(_profile_url("skills"))
    return _skill_form_page(request, form, mode="skill", skill=skill)


def _skill_errors_to_picker(form, exc: ValidationError) -> None:
    """The picker's own field is hidden: show "already on your profile" on the
    text input the person typed into."""
    if hasattr(exc, "error_dict") and "skill" in exc.error_dict:
        for error in exc.error_dict.pop("skill"):
            for message in error.messages:
                target = "skill_query" if "skill_query" in form.fields else None
                if target is None and "language" in form.fields:
                    target = "language"
                form.add_error(target, message)
        if not exc.error_dict:
            return
    apply_validation_error(form, exc)


@own_profile
@require_http_methods(["GET", "POST"])
def language_add(request, person):
    # A taxonomy without any language skill gets the local list once (see
    # profile_services.ensure_local_languages), so there is always one to choose.
    services.ensure_local_languages()
    form = LanguageAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        try:
            ps = services.profile_add_skill(
                person=person,
                skill=language,
                level=form.cleaned_data["level"],
                last_used=form.cleaned_data["last_used"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _skill_errors_to_picker(form, exc)
        else:
            messages.success(request, _added_message(ps))
            return redirect(_profile_url("languages"))
    return _skill_form_page(request, form, mode="language", skill=None)


def _skill_conflict_rows(data: dict | None, current) -> list[dict]:
    data = data or {}
    return [
        {
            "label": "Level",
            "yours": level_label(data.get("level")),
            "saved": level_label(current.level),
        },
        {
            "label": "Last used",
            "yours": month_label(data.get("last_used")),
            "saved": month_label(current.last_used),
        },
        {
            "label": "Evidence",
            "yours": data.get("note") or "None",
            "saved": current.note or "None",
        },
        {
            "label": "Checked by",
            "yours": (
                current.get_evidence_display()
                if data.get("level") == current.level
                else EvidenceKind.SELF.label
            ),
            "saved": current.get_evidence_display(),
        },
    ]


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


def _gone(request, thing: str, *, removing: bool = False):
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
            "back": _profile_url(anchor),
        },
        status=CONFLICT_STATUS,
    )


def _row_or_gone(request, finder, *, person, pk, thing, removing=False):
    """(row, None), or on a POST for a row that is not on the profile (any
    more) (None, the "no longer on your profile" page). A GET is a 404."""
    try:
        return finder(person=person, pk=pk), None
    except Http404:
        if request.method != "POST":
            raise
        return None, _gone(request, thing, removing=removing)


@own_profile
@require_http_methods(["GET", "POST"])
def skill_change(request, person, pk):
    row, gone = _row_or_gone(
        request, selectors.my_person_skill, person=person, pk=pk, thing="skill"
    )
    if gone:
        return gone
    queried = bool(row.queried_at or row.query_note)
    thing = "language" if row.skill.kind == SkillKind.LANGUAGE else "skill"
    if request.method != "POST":
        form = SkillChangeForm(initial=SkillChangeForm.initial_for(row), note_required=queried)
        return _skill_form_page(request, form, mode="change", skill=row.skill, row=row)
    form = SkillChangeForm(request.POST, note_required=queried)
    if form.is_valid():
        try:
            saved = services.profile_change_skill(
                person=person,
                person_skill_id=row.pk,
                expected_version=form.cleaned_data["version"],
                level=form.cleaned_data["level"],
                last_used=form.cleaned_data["last_used"],
                note=form.cleaned_data["note"],
            )
        except ConflictError as exc:
            if exc.current is None:
                return _gone(request, thing)
            entered = form.cleaned_data
            form = rebound_at_version(
                SkillChangeForm,
                request.POST,
                exc.current.version,
                message=CONFLICT_MESSAGE.format(thing=thing),
                note_required=queried,
            )
            return _skill_form_page(
                request,
                form,
                mode="change",
                skill=row.skill,
                row=exc.current,
                conflict=_skill_conflict_rows(entered, exc.current),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if queried:
                text = f"You answered your manager’s question about {saved.skill.name}"
            else:
                text = f"You changed {saved.skill.name}: level {level_label(saved.level)}"
            if row.evidence != EvidenceKind.SELF and saved.evidence == EvidenceKind.SELF:
                text += ". It is now self-assessed until your manager checks it again"
            messages.success(request, text)
            return redirect(_profile_url(f"{thing}s"))
    return _skill_form_page(request, form, mode="change", skill=row.skill, row=row)


def _remove_page(request, *, thing, name, action_url, form, current_rows, back, **extra):
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


def _remove_flow(request, *, row, thing, name, rows_for, remove, anchor, action_url):
    """GET asks "Are you sure?"; POST removes the row it was asked about, unless
    it changed (the page comes back with the saved values) or went."""
    back = _profile_url(anchor)
    if request.method != "POST":
        form = RemoveForm(initial={"version": row.version})
        return _remove_page(
            request,
            thing=thing,
            name=name,
            action_url=action_url,
            form=form,
            current_rows=rows_for(row),
            back=back,
        )
    form = RemoveForm(request.POST)
    if form.is_valid():
        try:
            remove(form.cleaned_data["version"])
        except ConflictError as exc:
            if exc.current is None:
                return _gone(request, thing, removing=True)
            form = rebound_at_version(
                RemoveForm,
                {},
                exc.current.version,
                message=f"Someone else changed this {thing} since you opened it. It has not "
                "been removed. Check the saved values, then remove it again if you still want to",
            )
            return _remove_page(
                request,
                thing=thing,
                name=name,
                action_url=action_url,
                form=form,
                current_rows=rows_for(exc.current),
                back=back,
                conflict=True,
            )
        messages.success(request, f"You removed {name} from your profile")
        return redirect(back)
    return _remove_page(
        request,
        thing=thing,
        name=name,
        action_url=action_url,
        form=form,
        current_rows=rows_for(row),
        back=back,
    )


def _skill_rows(ps) -> list[dict]:
    return [
        {"label": "Level", "value": level_label(ps.level)},
        {"label": "Last used", "value": month_label(ps.last_used)},
        {"label": "Evidence", "value": ps.note or "None"},
        {"label": "Checked by", "value": ps.get_evidence_display()},
    ]


@own_profile
@require_http_methods(["GET", "POST"])
def skill_remove(request, person, pk):
    row, gone = _row_or_gone(
        request, selectors.my_person_skill, person=person, pk=pk, thing="skill", removing=True
    )
    if gone:
        return gone
    thing = "language" if row.skill.kind == SkillKind.LANGUAGE else "skill"
    return _remove_flow(
        request,
        row=row,
        thing=thing,
        name=row.skill.name,
        rows_for=_skill_rows,
        remove=lambda version: services.profile_remove_skill(
            person=person, person_skill_id=row.pk, expected_version=version
        ),
        anchor=f"{thing}s",
        action_url=reverse("people:skill_remove", args=[row.pk]),
    )


# --- role history ------------------------------------------------------------------


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
    row, gone = _row_or_gone(request, selectors.my_role, person=person, pk=pk, thing="role")
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
            return _gone(request, "role")
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
    return redirect(_profile_url("roles"))


def _role_errors(form, exc: ValidationError) -> None:
    fields = {"start": "start_month", "end": "end_month"}
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            for error in errors:
                for message in error.messages:
                    name = fields.get(key, key)
                    form.add_error(name if name in form.fields else None, message)
    else:
        apply_validation_error(form, exc)


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
    row, gone = _row_or_gone(
        request, selectors.my_role, person=person, pk=pk, thing="role", removing=True
    )
    if gone:
        return gone
    return _remove_flow(
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


# --- qualifications ----------------------------------------------------------------


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
    fields = {"awarded": "awarded_day", "expires": "expires_day"}
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            for error in errors:
                for message in error.messages:
                    name = fields.get(key, key)
                    form.add_error(name if name in form.fields else None, message)
    else:
        apply_validation_error(form, exc)


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
            return redirect(_profile_url("qualifications"))
    return _qualification_page(request, form)


@own_profile
@require_http_methods(["GET", "POST"])
def qualification_change(request, person, pk):
    row, gone = _row_or_gone(
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
                return _gone(request, "qualification")
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
            return redirect(_profile_url("qualifications"))
    return _qualification_page(request, form, row=row)


@own_profile
@require_http_methods(["GET", "POST"])
def qualification_remove(request, person, pk):
    row, gone = _row_or_gone(
        request,
        selectors.my_qualification,
        person=person,
        pk=pk,
        thing="qualification",
        removing=True,
    )
    if gone:
        return gone
    return _remove_flow(
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


# --- redeployment preferences ------------------------------------------------------------


def _location_choices(person) -> list[str]:
    return [loc for loc in selectors.known_locations() if loc != person.location]


def _places(values) -> str:
    return ", ".join(values) if values else "None"


def _hours(value) -> str:
    if value is None:
        return "Not given"
    return f"{format(Decimal(value).normalize(), 'f')} hours"


def _preferences_conflict_rows(entered: dict, current: Person) -> list[dict]:
    return [
        {
            "label": "Willing to be redeployed",
            "yours": "Yes" if entered["redeployable"] == "yes" else "No",
            "saved": "Yes" if current.redeployable else "No",
        },
        {
            "label": "Other places you would work",
            "yours": _places(entered["preferred_locations"]),
            "saved": _places(current.preferred_locations),
        },
        {
            "label": "Hours a week",
            "yours": _hours(entered["weekly_hours"]),
            "saved": _hours(current.weekly_hours),
        },
        {
            "label": "Available from",
            "yours": day_label(entered["available_from"], blank="Now"),
            "saved": day_label(current.available_from, blank="Now"),
        },
    ]


@own_profile
@require_http_methods(["GET", "POST"])
def preferences(request, person):
    # Places the person chose before that nobody is based in now appear in
    # "Other places" (PreferencesForm.initial_for), so nothing is lost.
    choices = _location_choices(person)
    if request.method != "POST":
        form = PreferencesForm(
            initial=PreferencesForm.initial_for(person, choices), location_choices=choices
        )
        return render(request, "people/preferences.html", {"form": form, "person": person})
    form = PreferencesForm(request.POST, location_choices=choices)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            services.profile_update_preferences(
                person=person,
                expected_version=cd["version"],
                redeployable=cd["redeployable"] == "yes",
                preferred_locations=cd["preferred_locations"],
                weekly_hours=cd["weekly_hours"],
                available_from=cd["available_from"],
            )
        except ConflictError as exc:
            current = exc.current
            entered = dict(cd)
            form = rebound_at_version(
                PreferencesForm,
                request.POST,
                current.version,
                message=CONFLICT_MESSAGE.format(thing="information"),
                location_choices=choices,
            )
            return render_edit_page(
                request,
                "people/preferences.html",
                {
                    "form": form,
                    "person": current,
                    "conflict": _preferences_conflict_rows(entered, current),
                },
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "You changed your redeployment preferences")
            return redirect(_profile_url("redeployment"))
    return render(request, "people/preferences.html", {"form": form, "person": person})


# --- who viewed me, and everything held about me ---------------------------------------


@own_profile
def activity(request, person):
    page = Paginator(selectors.access_events_about(person=person), EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    events = [selectors.describe_event(e) for e in page.object_list]
    return render(
        request, "people/activity.html", {"person": person, "page": page, "events": events}
    )


@own_profile
def my_data(request, person):
    person = selectors.person_for_user(user=request.user)
    skills, languages = selectors.split_skills(person)
    events = [selectors.describe_event(e) for e in selectors.access_events_about(person=person)]
    return render(
        request,
        "people/my_data.html",
        {
            "person": person,
            "skills": skills,
            "languages": languages,
            "roles": list(person.role_history.all()),
            "qualifications": list(person.qualifications.all()),
            "events": events,
            "generated_at": timezone.now(),
        },
    )


@own_profile
def download(request, person):
    data = selectors.person_data(person=person)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="muster-my-data-{person.staff_number}.json"'
    )
    return response
