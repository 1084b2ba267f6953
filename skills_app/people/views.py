"""Your profile: the signed-in member of staff keeps their own record current.

Every page here works on ``request.user.person`` and nothing else; a user whose
account has no staff record sees an explanation instead. Forms post back to
themselves (GOV.UK pattern) and redirect to the profile with a confirmation
banner. Edits carry the version they were read at; when someone else saved in
between, the form comes back with "Someone else changed this ... since you
opened it" and the saved values beside the ones entered, and nothing is written.

This module has the profile page itself and the redeployment preferences; the
rest of the family is views_skills (skills and languages), views_history
(roles and qualifications) and views_data (activity and "your data"), sharing
views_shared.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from skills_app.accounts.permissions import Cap, requires
from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import rebound_at_version, render_edit_page
from skills_app.people import profile_services as services
from skills_app.people import selectors
from skills_app.people.forms import PreferencesForm
from skills_app.people.models import Person
from skills_app.people.presenters import from_line
from skills_app.people.selectors_drafts import draft_count
from skills_app.people.views_shared import (
    CONFLICT_MESSAGE,
    day_label,
    own_profile,
    profile_url,
)
from taxonomy.forms import apply_validation_error

# --- the profile ------------------------------------------------------------------


@requires(Cap.PROFILE_EDIT_OWN)
def my_profile(request):
    person = selectors.person_for_user(user=request.user)
    if person is None:
        return render(request, "people/my_profile.html", {"person": None})
    skills, languages = selectors.split_skills(person)
    for ps in skills + languages:
        # A confirmed draft keeps its sources: "From: Senior data analyst 2021–2024".
        ps.from_line = from_line(ps.sources)
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
            "draft_count": draft_count(person=person),
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


# --- redeployment preferences -----------------------------------------------------


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
            return redirect(profile_url("redeployment"))
    return render(request, "people/preferences.html", {"form": form, "person": person})
