"""GET /api/v1/me/activity: who has looked at or changed the caller's own record,
newest first, the same entries as the "Who has viewed your profile" page.

Registered in skills_app/api.py with ``api.add_router("/me", me_router)``. Open to
every signed-in user; a user with no staff record gets 404.
"""

from datetime import datetime

from django.http import Http404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from skills_app.accounts.permissions import Cap
from skills_app.api_inputs import ErrorOut
from skills_app.api_support import BoundedLimitOffsetPagination, authorize, responses
from skills_app.people import selectors
from skills_app.people.models import Person

router = Router(tags=["me"])


class ActivityOut(Schema):
    at: datetime
    who: str = Field(..., description="The name of the person (or Muster itself) who did it")
    roles: list[str] = Field(..., description="Their roles in Muster")
    action: str = Field(..., description="The kind of access, e.g. view_profile, export")
    what: str = Field(..., description="What they saw or did: which page, export or import")

    @staticmethod
    def resolve_who(obj):
        return selectors.actor_name(obj)

    @staticmethod
    def resolve_roles(obj):
        return selectors.actor_role_names(obj.actor)

    @staticmethod
    def resolve_what(obj):
        return selectors.event_what(obj)


@router.get(
    "/activity",
    response=responses({200: list[ActivityOut], 404: ErrorOut}),
    auth=authorize(Cap.PROFILE_EDIT_OWN),
    summary="Who has viewed or changed my record",
)
@paginate(BoundedLimitOffsetPagination)
def my_activity(request):
    person = Person.objects.filter(user=request.auth).first()
    if person is None:
        raise Http404("Your account is not linked to a staff record.")
    return selectors.access_events_about(person=person)
