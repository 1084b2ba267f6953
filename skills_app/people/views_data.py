"""Your profile: who has looked at your record, everything Muster holds about
you, and that as a JSON download."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from skills_app.people import selectors
from skills_app.people.views_shared import own_profile

EVENTS_PER_PAGE = 25


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
        f'attachment; filename="muster-my-data-{timezone.localdate():%Y-%m-%d}.json"'
    )
    return response
