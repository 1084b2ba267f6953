"""GET /api/v1/people/{staff_number}: someone's profile, as the caller may see it.

Registered in skills_app/api.py with ``api.add_router("/people", people_router)``.
The rules are DESIGN.md section 8, shared with the web pages through
skills_app.people.team: HR and administrators get every field (``"fields": "all"``),
a line manager every field of their own team (``"team"``) and nobody else, a
workforce planner anyone's match fields only (``"match"``): fields outside the
match set are then left out of the answer altogether (not sent as null). Every
answer is recorded as a ``view_profile`` access event.
"""

from datetime import date, datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Router, Schema

from skills_app.accounts.permissions import Cap
from skills_app.api_inputs import ErrorOut
from skills_app.api_support import authorize, responses
from skills_app.people import team
from skills_app.people.models import Person

router = Router(tags=["people"])

FULL_ONLY = "Not sent to workforce planners (match-fields view)."


class ProfileSkillRef(Schema):
    id: int
    name: str
    uri: str


class SkillQueryOut(Schema):
    queried_at: datetime
    queried_by: str | None
    note: str


class ProfileSkillOut(Schema):
    skill: ProfileSkillRef
    level: int = Field(..., description="1 Awareness, 2 Working, 3 Practitioner, 4 Expert")
    level_name: str
    last_used: date | None = Field(..., description="Null means in current use")
    evidence: Literal["self", "manager_verified", "assessed", "certified"]
    verified_at: datetime | None
    verified_by: str | None = Field(None, description=FULL_ONLY)
    note: str | None = Field(None, description=FULL_ONLY)
    query: SkillQueryOut | None = Field(
        None, description=f"A line manager's open question about the claim. {FULL_ONLY}"
    )


class RoleHistoryOut(Schema):
    title: str
    role_profile: str | None = Field(..., description="Role profile code, if known")
    start: date
    end: date | None = Field(..., description="Null means current")


class QualificationOut(Schema):
    name: str
    issuer: str
    awarded: date | None
    expires: date | None


class LineManagerOut(Schema):
    staff_number: str
    name: str


class PersonOut(Schema):
    fields: Literal["match", "team", "all"] = Field(
        ...,
        description=(
            "Which view you were given: 'match' (workforce planners: match fields only), "
            "'team' (your own team member: everything), 'all' (HR, administrators: everything)."
        ),
    )
    staff_number: str
    version: int = Field(..., description="Send back as expected_version when replacing skills")
    full_name: str
    grade: str
    grade_name: str
    org_unit: str = Field(..., description="Path, e.g. Dept/Directorate/Team")
    location: str
    weekly_hours: float
    clearance: Literal["None", "BPSS", "CTC", "SC", "DV"]
    redeployable: bool
    protected: bool = Field(..., description="In a critical role: never released in a surge")
    available_from: date | None
    preferred_locations: list[str]
    skills: list[ProfileSkillOut]
    role_history: list[RoleHistoryOut]
    work_email: str | None = Field(None, description=FULL_ONLY)
    line_manager: LineManagerOut | None = Field(None, description=FULL_ONLY)
    qualifications: list[QualificationOut] | None = Field(None, description=FULL_ONLY)
    profile_reviewed_at: datetime | None = Field(None, description=FULL_ONLY)


def _api_profile(profile: dict) -> dict:
    """The selector's profile, in the API's shape: only keys the viewer may see,
    so a match-fields answer simply lacks the others."""
    allowed = set(PersonOut.model_fields)
    out = {key: value for key, value in profile.items() if key in allowed}
    skill_keys = set(ProfileSkillOut.model_fields)
    out["skills"] = [
        {key: value for key, value in entry.items() if key in skill_keys}
        for entry in profile["skills"]
    ]
    if profile.get("line_manager") is not None:
        out["line_manager"] = {
            "staff_number": profile["line_manager"]["staff_number"],
            "name": profile["line_manager"]["name"],
        }
    return out


@router.get(
    "/{staff_number}",
    response=responses({200: PersonOut, 404: ErrorOut}),
    auth=authorize(Cap.PROFILE_VIEW_TEAM, Cap.PROFILE_VIEW_MATCH_FIELDS, Cap.PROFILE_VIEW_ALL),
    exclude_unset=True,
    summary="One person's profile with skills",
    description=(
        "HR and administrators see every field of anyone; line managers every field of "
        "the people below them in the line-management tree and nobody else (403); "
        "workforce planners anyone's match fields only, and the other fields are then "
        "absent from the answer. Unknown staff number: 404. Every answer is recorded as "
        "a profile view that the person can see."
    ),
)
def get_person(request, staff_number: str):
    pk = Person.objects.filter(staff_number=staff_number).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404("No person has that staff number.")
    person = team.person_for_profile(pk=pk)
    fields = team.profile_access(viewer=request.auth, person=person)
    if fields is None:
        raise PermissionDenied
    me = team.viewer_person(request.auth)
    if me is None or me.pk != person.pk:  # looking at yourself is not a view by someone else
        team.profile_view_record(viewer=request.auth, person=person, fields=fields, page="api")
    return _api_profile(team.profile_for_viewer(person=person, fields=fields))
