"""Your profile: skills and languages (add with the autocomplete and the
skill's own level descriptors, change, answer a manager's query, remove)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from skills_app.accounts.permissions import Cap, requires
from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import rebound_at_version, render_edit_page
from skills_app.people import profile_services as services
from skills_app.people import selectors
from skills_app.people.forms import (
    LanguageAddForm,
    SkillAddForm,
    SkillChangeForm,
)
from skills_app.people.models import EvidenceKind
from skills_app.people.views_shared import (
    CONFLICT_MESSAGE,
    gone_page,
    level_label,
    month_label,
    own_profile,
    profile_url,
    remove_flow,
    row_or_gone,
)
from taxonomy.forms import apply_validation_error
from taxonomy.models import Skill, SkillKind, SkillStatus


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
            return redirect(profile_url("skills"))
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
            return redirect(profile_url("languages"))
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


@own_profile
@require_http_methods(["GET", "POST"])
def skill_change(request, person, pk):
    row, gone = row_or_gone(request, selectors.my_person_skill, person=person, pk=pk, thing="skill")
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
                return gone_page(request, thing)
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
            return redirect(profile_url(f"{thing}s"))
    return _skill_form_page(request, form, mode="change", skill=row.skill, row=row)


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
    row, gone = row_or_gone(
        request, selectors.my_person_skill, person=person, pk=pk, thing="skill", removing=True
    )
    if gone:
        return gone
    thing = "language" if row.skill.kind == SkillKind.LANGUAGE else "skill"
    return remove_flow(
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
