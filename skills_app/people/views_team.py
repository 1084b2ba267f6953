"""Other people's profiles and the line manager's team (DESIGN.md section 8).

Pages address people by their random public id only (urls_team.py), never by
primary key, staff number or name, so no personal data travels in URLs and no
profile can be found by counting. Every page that shows someone else's data
writes a ``view_profile`` audit row. The rules (who sees which fields, who may
verify) live in ``skills_app.people.team``; these views stay thin.

Action pages (verify, query, protection) answer GET with a confirmation page
and POST with the change; each POST carries the version the manager saw, and a
stale version is answered with the current values, never a silent overwrite.
"""

from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from skills_app.accounts.permissions import Cap, has_cap, requires
from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import render_edit_page
from skills_app.core.throttle import throttle
from skills_app.people import team as svc
from skills_app.people.models import Person, PersonSkill
from skills_app.people.selectors import review_due

TEAM_PER_PAGE = 25
SEARCH_QUERY_MAX = 100

# --- forms ------------------------------------------------------------------------


class VersionForm(forms.Form):
    """The record version the manager saw, as a hidden field. A missing or bad
    version is a form-level error (a hidden field has nothing to link to)."""

    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if "version" in self.errors or cleaned.get("version") is None:
            self.errors.pop("version", None)
            raise ValidationError(
                "The form was incomplete: go back to the profile, reload it and try again"
            )
        return cleaned


class QueryForm(VersionForm):
    note = forms.CharField(
        label="What do you want to ask about this skill?",
        help_text="They will see your question on their profile.",
        max_length=svc.QUERY_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Enter your question about this skill",
            "max_length": f"Your question must be {svc.QUERY_NOTE_MAX} characters or fewer",
        },
    )


class VerifyForm(VersionForm):
    note = forms.CharField(
        label="How do you know they have this skill at this level?",
        help_text="For example, work you saw them do. They will see this with the verification.",
        max_length=svc.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter how you know they have this skill",
            "max_length": f"The reason must be {svc.REASON_MAX} characters or fewer",
        },
    )


class ProtectForm(VersionForm):
    protected = forms.ChoiceField(
        choices=[("yes", "Protected"), ("no", "Not protected")],
        required=False,
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label="Why?",
        max_length=svc.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter the reason",
            "max_length": f"The reason must be {svc.REASON_MAX} characters or fewer",
        },
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("protected") not in ("yes", "no"):
            raise ValidationError(
                "The form was incomplete: go back to the profile, reload it and try again"
            )
        return cleaned


def _apply(form: forms.Form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form it came from."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- helpers ----------------------------------------------------------------------


def _data(request):
    """Bind forms on POST (even an empty one, so it reports what is missing)."""
    return request.POST if request.method == "POST" else None


def _person_or_404(public_id: UUID) -> Person:
    try:
        return svc.person_for_profile(public_id=public_id)
    except Person.DoesNotExist:
        raise Http404("No such person") from None


def _managed(request, public_id: UUID, skill_id: int | None = None):
    """The person (and their claim to one catalogue skill) the signed-in user may
    manage, or 403/404."""
    person = _person_or_404(public_id)
    if not svc.can_manage(viewer=request.user, person=person):
        raise PermissionDenied
    if skill_id is None:
        return person, None
    row = next((row for row in person.skills.all() if row.skill_id == skill_id), None)
    if row is None:
        raise Http404("No such skill on this profile")
    return person, row


def _viewed(request, person: Person) -> dict:
    """The viewer's profile data for ``person``, audited as a profile view."""
    fields = svc.profile_access(viewer=request.user, person=person)
    if fields is None:
        raise PermissionDenied
    svc.profile_view_record(viewer=request.user, person=person, fields=fields)
    return svc.profile_for_viewer(person=person, fields=fields)


def _nav(request, **context) -> dict:
    """What every profile page needs besides the profile: where the breadcrumbs lead."""
    me = svc.viewer_person(request.user)
    return {
        "viewer_person_id": me.pk if me else None,
        "can_search": has_cap(request.user, Cap.PROFILE_VIEW_ALL, Cap.PROFILE_VIEW_MATCH_FIELDS),
    } | context


def _skill_entry(profile: dict, row: PersonSkill | None) -> dict | None:
    if row is None:
        return None
    return next((entry for entry in profile["skills"] if entry["id"] == row.pk), None)


# --- pages ------------------------------------------------------------------------


@requires(Cap.PROFILE_VIEW_TEAM)
def team(request):
    show = request.GET.get("show", svc.TeamShow.ALL)
    show = show if show in set(svc.TeamShow) else svc.TeamShow.ALL
    sort = request.GET.get("sort", svc.TeamSort.NAME)
    sort = sort if sort in set(svc.TeamSort) else svc.TeamSort.NAME
    manager = svc.viewer_person(request.user)
    has_team = manager is not None and svc.team_queryset(manager=manager).exists()
    page = None
    if has_team:
        members = svc.team_members(manager=manager, show=show, sort=sort)
        page = Paginator(members, TEAM_PER_PAGE).get_page(request.GET.get("page"))
        for member in page:
            member.review_overdue = review_due(member)
            member.is_direct = member.line_manager_id == manager.pk
        svc.team_page_record(viewer=request.user, members=page.object_list)
    return render(
        request,
        "team/team.html",
        {
            "manager": manager,
            "has_team": has_team,
            "page": page,
            "show": show,
            "sort": sort,
            "filtered": show != svc.TeamShow.ALL,
            "show_choices": [
                (svc.TeamShow.ALL, "Everyone"),
                (svc.TeamShow.TO_VERIFY, "People with skills to verify"),
                (svc.TeamShow.QUERIED, "People with open queries"),
                (svc.TeamShow.NOT_REVIEWED, "Profiles not reviewed for 12 months"),
            ],
            "sort_choices": [
                (svc.TeamSort.NAME, "Name (A to Z)"),
                (svc.TeamSort.TO_VERIFY, "Most skills to verify"),
                (svc.TeamSort.REVIEWED, "Longest since profile review"),
            ],
        },
    )


@requires(Cap.PROFILE_VIEW_ALL, Cap.PROFILE_VIEW_MATCH_FIELDS)
@require_http_methods(["GET", "POST"])
@throttle("search")
def find_person(request):
    """Find a person by staff number or name. The query is POSTed so that names
    never appear in URLs, browser history or access logs."""
    q = ""
    results = None
    error = None
    if request.method == "POST":
        q = " ".join(request.POST.get("q", "").split())[:SEARCH_QUERY_MAX]
        if q:
            results = svc.person_search(viewer=request.user, q=q)
        else:
            error = "Enter a staff number or name"
    return render(
        request,
        "person/find.html",
        {"q": q, "results": results, "error": error, "limit": svc.SEARCH_LIMIT},
    )


@requires(Cap.PROFILE_VIEW_TEAM, Cap.PROFILE_VIEW_MATCH_FIELDS, Cap.PROFILE_VIEW_ALL)
def person(request, public_id):
    person = _person_or_404(public_id)
    me = svc.viewer_person(request.user)
    if me is not None and me.pk == person.pk:
        return redirect("people:my_profile")
    profile = _viewed(request, person)
    return render(
        request,
        "person/profile.html",
        _nav(
            request,
            person=person,
            profile=profile,
            full=profile["fields"] != svc.FieldSet.MATCH,
            can_manage=svc.can_manage(viewer=request.user, person=person),
            in_team=profile["fields"] == svc.FieldSet.TEAM
            or svc.is_in_team(manager=me, person=person),
        ),
    )


def _skill_action(request, public_id, skill_id, *, form_class, act, done, template, **context):
    """A line manager's action on one skill of a team member (verify, query): the
    form carries the version the page was opened at; ``act(person, row, data)``
    calls the service. A conflict shows the page again at the saved version,
    keeping what was typed; a skill removed meanwhile goes back to the person."""
    person, row = _managed(request, public_id, skill_id)
    form = form_class(_data(request), initial={"version": row.version})
    extra = {}
    if request.method == "POST" and form.is_valid():
        try:
            act(person, row, form.cleaned_data)
        except ConflictError as exc:
            if exc.current is None:
                messages.info(
                    request, f"{person.full_name} removed “{row.skill.name}” from their profile"
                )
                return redirect("team:person", public_id=person.public_id)
            person = _person_or_404(public_id)
            row = next(r for r in person.skills.all() if r.pk == row.pk)
            form = form_class(initial={**form.cleaned_data, "version": row.version})
            extra = {"conflict": True}
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, done(person, row))
            return redirect("team:person", public_id=person.public_id)
    profile = _viewed(request, person)
    return render_edit_page(
        request,
        template,
        _nav(
            request,
            person=person,
            profile=profile,
            entry=_skill_entry(profile, row),
            form=form,
            **context,
        )
        | extra,
    )


@requires(Cap.SKILL_VERIFY_TEAM)
@require_http_methods(["GET", "POST"])
def skill_verify(request, public_id, skill_id):
    return _skill_action(
        request,
        public_id,
        skill_id,
        form_class=VerifyForm,
        act=lambda person, row, data: svc.person_skill_verify(
            verifier=request.user,
            person=person,
            person_skill_id=row.pk,
            expected_version=data["version"],
            note=data["note"],
        ),
        done=lambda person, row: (
            f"You verified {person.full_name}’s skill “{row.skill.name}”. "
            "You can undo this from their skills list."
        ),
        template="person/verify.html",
        max_length=svc.REASON_MAX,
    )


@requires(Cap.SKILL_VERIFY_TEAM)
@require_http_methods(["GET", "POST"])
def skill_unverify(request, public_id, skill_id):
    return _skill_action(
        request,
        public_id,
        skill_id,
        form_class=VersionForm,
        act=lambda person, row, data: svc.person_skill_unverify(
            verifier=request.user,
            person=person,
            person_skill_id=row.pk,
            expected_version=data["version"],
        ),
        done=lambda person, row: (
            f"You undid the verification of {person.full_name}’s skill “{row.skill.name}”: "
            "it is self-assessed again"
        ),
        template="person/unverify.html",
    )


@requires(Cap.SKILL_VERIFY_TEAM)
@require_http_methods(["GET", "POST"])
def skill_query(request, public_id, skill_id):
    return _skill_action(
        request,
        public_id,
        skill_id,
        form_class=QueryForm,
        act=lambda person, row, data: svc.person_skill_query(
            verifier=request.user,
            person=person,
            person_skill_id=row.pk,
            expected_version=data["version"],
            note=data["note"],
        ),
        done=lambda person, row: (
            f"You queried {person.full_name}’s skill “{row.skill.name}”. "
            "They will see your question on their profile."
        ),
        template="person/query.html",
        max_length=svc.QUERY_NOTE_MAX,
    )


@requires(Cap.SKILL_VERIFY_TEAM)
@require_http_methods(["GET", "POST"])
def protection(request, public_id):
    person, _ = _managed(request, public_id)
    form = ProtectForm(
        _data(request),
        initial={"version": person.version, "protected": "no" if person.protected else "yes"},
    )
    extra = {}
    if request.method == "POST" and form.is_valid():
        wanted = form.cleaned_data["protected"] == "yes"
        try:
            person = svc.person_set_protected(
                actor=request.user,
                person=person,
                protected=wanted,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except ConflictError as exc:
            if exc.current is None:
                raise Http404("No such person") from None
            person = _person_or_404(public_id)
            form = ProtectForm(
                initial={
                    "version": person.version,
                    "protected": "no" if person.protected else "yes",
                    "reason": form.cleaned_data["reason"],
                }
            )
            extra = {"conflict": True, "wanted": wanted}
        except ValidationError as exc:
            _apply(form, exc)
        else:
            if wanted:
                text = (
                    f"{person.full_name} is now protected: they will not be released in a "
                    "surge. To undo this, use Remove protection below."
                )
            else:
                text = (
                    f"{person.full_name} is no longer protected. To undo this, use Mark as "
                    "protected below."
                )
            messages.success(request, text)
            return redirect("team:person", public_id=person.public_id)
    profile = _viewed(request, person)
    return render_edit_page(
        request,
        "person/protection.html",
        _nav(request, person=person, profile=profile, form=form) | extra,
    )
