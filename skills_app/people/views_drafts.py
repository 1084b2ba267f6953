"""Check your draft skills, and find skills in your CV (DESIGN 9).

Muster drafts skills from what the department already holds (role history,
job titles, qualifications) and from text the person pastes. Here the person,
and only the person (every URL is the signed-in user's own profile), confirms
each draft, confirms it at another level, or rejects it ("I do not have this
skill"), one at a time or all at once. Every page is a plain form post that
works without JavaScript; each decision carries the draft's version, so a draft
a drafting run changed since the page was opened is not decided unseen: the
page comes back (409) saying what changed. The writes are people.drafts'.
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import CONFLICT_STATUS, rebound_at_version, render_edit_page
from skills_app.people import drafts as draft_services
from skills_app.people import drafts_text
from skills_app.people.forms_drafts import (
    OUT_OF_DATE,
    ConfirmAllForm,
    DraftDecisionForm,
    DraftLevelForm,
    TextChoiceForm,
    TextForm,
)
from skills_app.people.models import PersonSkill
from skills_app.people.presenters import describe_source, describe_sources, ref_names
from skills_app.people.selectors_drafts import descriptors_for, draft_versions, my_draft, my_drafts
from skills_app.people.views_shared import level_label, own_profile, profile_url

PER_PAGE = 20


def _page_number(request) -> str:
    raw = (request.POST.get("page") or request.GET.get("page") or "").strip()
    return raw if raw.isdigit() and len(raw) < 7 else ""


def drafts_url(page: str = "", anchor: str = "") -> str:
    url = reverse("people:drafts")
    if page and page != "1":
        url += f"?page={page}"
    return f"{url}#{anchor}" if anchor else url


def draft_items(rows) -> list[dict]:
    """Each draft with why Muster thinks so and what its proposed level means."""
    rows = list(rows)
    names = ref_names(s for ps in rows for s in ps.sources or ())
    levels = descriptors_for({ps.skill_id for ps in rows})
    return [
        {
            "ps": ps,
            "reasons": describe_sources(ps.sources, names),
            "level_label": level_label(ps.level),
            "descriptor": levels[ps.skill_id][ps.level],
        }
        for ps in rows
    ]


def _list_page(request, person, *, errors=(), status=200):
    page = Paginator(my_drafts(person=person), PER_PAGE).get_page(_page_number(request) or 1)
    return render(
        request,
        "people/drafts.html",
        {
            "person": person,
            "page": page,
            "items": draft_items(page.object_list),
            "total": page.paginator.count,
            "errors": list(errors),
            "page_number": str(page.number),
        },
        status=status,
    )


@own_profile
@require_http_methods(["GET"])
def drafts(request, person):
    return _list_page(request, person)


def _draft_name(person, pk: int) -> str:
    """The skill's name for a message about a draft that has changed or gone (a
    row of the person's own that is no longer a draft still has one)."""
    row = PersonSkill.objects.filter(person=person, pk=pk).select_related("skill").first()
    return row.skill.name if row is not None else ""


def _conflict_errors(person, pk: int, exc: ConflictError) -> list[dict]:
    if exc.current is None:
        name = _draft_name(person, pk)
        what = f"{name} is" if name else "That skill is"
        return [
            {
                "text": f"{what} no longer a draft on your profile: you may have confirmed or "
                "rejected it in another tab. Nothing has been changed",
                "href": "",
            }
        ]
    current = exc.current
    return [
        {
            "text": f"Muster changed the draft {current.skill.name} since you opened this page: "
            f"it now suggests level {level_label(current.level)}. Nothing has been saved. "
            "Check it, then confirm or reject it again",
            "href": f"#draft-{current.pk}",
        }
    ]


def _decide(request, person, pk: int, decide):
    """A decision on one draft from the list: the list again with an error
    summary when the form is out of date or the draft changed or went."""
    form = DraftDecisionForm(request.POST)
    if not form.is_valid():
        return _list_page(request, person, errors=[{"text": OUT_OF_DATE, "href": ""}])
    try:
        text = decide(form.cleaned_data["version"])
    except ConflictError as exc:
        return _list_page(
            request, person, errors=_conflict_errors(person, pk, exc), status=CONFLICT_STATUS
        )
    messages.success(request, text)
    return redirect(drafts_url(_page_number(request)))


@own_profile
@require_http_methods(["POST"])
def draft_confirm(request, person, pk):
    def decide(version):
        row = draft_services.draft_confirm(
            actor=request.user, person=person, person_skill_id=pk, expected_version=version
        )
        return f"You confirmed {row.skill.name} at level {level_label(row.level)}"

    return _decide(request, person, pk, decide)


@own_profile
@require_http_methods(["POST"])
def draft_reject(request, person, pk):
    def decide(version):
        name = _draft_name(person, pk)
        draft_services.draft_reject(
            actor=request.user, person=person, person_skill_id=pk, expected_version=version
        )
        return f"You said you do not have {name}. Muster will not suggest it again"

    return _decide(request, person, pk, decide)


def _level_page(request, row, form, *, conflict=None):
    return render_edit_page(
        request,
        "people/draft_level.html",
        {
            "row": row,
            "form": form,
            "reasons": describe_sources(row.sources, ref_names(row.sources or ())),
            "levels": list(descriptors_for([row.skill_id])[row.skill_id].values()),
            "levels_skill": row.skill,
            "level_value": str(form["level"].value() or ""),
            "level_errors": list(form["level"].errors),
            "conflict": conflict,
            "back": drafts_url(_page_number(request), f"draft-{row.pk}"),
            "page_number": _page_number(request),
        },
    )


@own_profile
@require_http_methods(["GET", "POST"])
def draft_level(request, person, pk):
    """Confirm a draft at the level the person chooses, against what each level
    means for that skill."""
    if request.method != "POST":
        row = my_draft(person=person, pk=pk)
        form = DraftLevelForm(initial={"level": row.level, "version": row.version})
        return _level_page(request, row, form)
    form = DraftLevelForm(request.POST)
    row = my_drafts(person=person).filter(pk=pk).first()
    if row is None:
        return _list_page(
            request,
            person,
            errors=_conflict_errors(person, pk, ConflictError(None)),
            status=CONFLICT_STATUS,
        )
    if not form.is_valid():
        return _level_page(request, row, form)
    try:
        saved = draft_services.draft_confirm(
            actor=request.user,
            person=person,
            person_skill_id=pk,
            expected_version=form.cleaned_data["version"],
            level=form.cleaned_data["level"],
        )
    except ConflictError as exc:
        if exc.current is None:
            return _list_page(
                request, person, errors=_conflict_errors(person, pk, exc), status=CONFLICT_STATUS
            )
        chosen = form.cleaned_data["level"]
        form = rebound_at_version(
            DraftLevelForm,
            request.POST,
            exc.current.version,
            message="Muster changed this draft skill since you opened it. Nothing has been "
            "saved. Check why Muster suggests it now, then confirm your level again",
        )
        rows = [
            {
                "label": "Level",
                "yours": level_label(chosen),
                "saved": f"{level_label(exc.current.level)} (suggested)",
            },
            {
                "label": "Why Muster suggests it",
                "yours": "",
                "saved": "; ".join(
                    v.sentence
                    for v in describe_sources(
                        exc.current.sources, ref_names(exc.current.sources or ())
                    )
                ),
            },
        ]
        return _level_page(request, exc.current, form, conflict=rows)
    messages.success(
        request, f"You confirmed {saved.skill.name} at level {level_label(saved.level)}"
    )
    return redirect(drafts_url(_page_number(request)))


@own_profile
@require_http_methods(["GET", "POST"])
def confirm_all(request, person):
    """ "Confirm all at their proposed levels", after a page listing them; only
    the drafts that page listed, at the versions it showed, are confirmed."""
    if request.method == "POST":
        form = ConfirmAllForm(request.POST)
        if form.is_valid():
            confirmed, stale = draft_services.draft_confirm_all(
                actor=request.user, person=person, versions=form.cleaned_data["drafts"]
            )
            if confirmed:
                n = len(confirmed)
                messages.success(
                    request,
                    f"You confirmed {n} skill{'s' if n != 1 else ''} at their suggested levels",
                )
            if not stale:
                return redirect(profile_url("skills") if confirmed else drafts_url())
            n = len(stale)
            return _list_page(
                request,
                person,
                errors=[
                    {
                        "text": f"{n} draft skill{'s' if n != 1 else ''} changed since you "
                        f"opened the list, so {'they were' if n != 1 else 'it was'} not "
                        "confirmed. Check them below",
                        "href": "",
                    }
                ],
                status=CONFLICT_STATUS,
            )
    else:
        form = ConfirmAllForm()
    rows = list(my_drafts(person=person))
    return render(
        request,
        "people/drafts_confirm_all.html",
        {
            "form": form,
            "rows": [{"ps": ps, "level_label": level_label(ps.level)} for ps in rows],
            "versions": [f"{pk}:{v}" for pk, v in draft_versions(person=person).items()],
        },
    )


# --- find skills in your CV -------------------------------------------------------------


def _found_items(found) -> list[dict]:
    # The page picks out the very phrase found (the stored draft finds it again by its label).
    return [
        {"found": f, "reasons": [replace(describe_source(f.source()), quote=f.quote)]}
        for f in found
    ]


def _text_page(request, form):
    return render(request, "people/text_form.html", {"form": form})


def _choice_page(request, person, form, found):
    return render(
        request,
        "people/text_choose.html",
        {
            "form": form,
            "items": _found_items(found),
            "addable": [f for f in found if f.can_add],
            "checked": {str(v) for v in form["skills"].value() or ()},
            "text_max": drafts_text.TEXT_MAX,
        },
    )


@own_profile
@require_http_methods(["GET", "POST"])
def from_text(request, person):
    """Paste a CV or a paragraph; Muster lists the skills it names; the person
    ticks the ones to add as drafts (or to confirm at once). The text goes back
    and forth in the form and is never stored."""
    step = request.POST.get("step", "")
    if request.method != "POST" or step not in ("find", "add", "confirm", "edit"):
        return _text_page(request, TextForm())
    if step == "edit":
        return _text_page(request, TextForm(initial={"text": request.POST.get("text", "")}))
    if step == "find":
        form = TextForm(request.POST)
        if not form.is_valid():
            return _text_page(request, form)
        text = form.cleaned_data["text"]
        found = drafts_text.find_skills(person=person, text=text)
        choice = TextChoiceForm(
            initial={"text": text},
            skill_choices=[(f.skill_id, f.name) for f in found if f.can_add],
        )
        return _choice_page(request, person, choice, found)
    # "add" (as drafts) or "confirm" (at once): the ticked skills, found again in the text.
    text_form = TextForm(request.POST)
    if not text_form.is_valid():
        return _text_page(request, text_form)
    text = text_form.cleaned_data["text"]
    found = drafts_text.find_skills(person=person, text=text)
    form = TextChoiceForm(
        request.POST, skill_choices=[(f.skill_id, f.name) for f in found if f.can_add]
    )
    if not form.is_valid():
        return _choice_page(request, person, form, found)
    confirm = step == "confirm"
    result = drafts_text.add_from_text(
        actor=request.user,
        person=person,
        text=text,
        skill_ids=set(form.cleaned_data["skills"]),
        confirm=confirm,
    )
    n = len(result.confirmed if confirm else result.added)
    plural = "s" if n != 1 else ""
    if confirm:
        messages.success(
            request, f"You added {n} skill{plural} to your profile. Check the levels are right"
        )
        return redirect(profile_url("skills"))
    messages.success(request, f"Muster added {n} draft skill{plural}. Check them below")
    return redirect(drafts_url())
