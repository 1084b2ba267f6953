from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from skills_app.accounts.permissions import Cap
from skills_app.api_inputs import ErrorOut, StrictSchema, error_item
from skills_app.api_support import BoundedLimitOffsetPagination, authorize, responses
from skills_app.core import vocabulary
from skills_app.core.vocabulary import VocabularyError
from skills_app.roles import selectors
from skills_app.roles.api_match import FiltersIn, RequirementIn, requirement_specs, search_filters
from skills_app.roles.services import RoleCodeTaken, RoleError, code_problem, role_create
from taxonomy.models import LEVEL_NAMES

router = Router(tags=["roles"])


class RequirementSkillOut(Schema):
    id: int
    name: str
    uri: str


class RequirementOut(Schema):
    skill: RequirementSkillOut
    level: int
    level_name: str
    weight: float
    essential: bool


class RoleSummaryOut(Schema):
    code: str
    title: str
    family: str | None
    role_name: str
    level_rank: int | None
    source: str
    grade_min: str
    grade_max: str
    requirement_count: int

    @staticmethod
    def resolve_family(obj):
        return obj.family.name if obj.family_id else None


class RoleDetailOut(RoleSummaryOut):
    description: str
    requirements: list[RequirementOut]
    filters: dict = Field(..., description="The hard filters a search for this role starts with")
    version: int

    @staticmethod
    def resolve_requirement_count(obj):
        return len(obj.requirements.all())

    @staticmethod
    def resolve_requirements(obj):
        return [
            {
                "skill": req.skill,
                "level": req.level,
                "level_name": LEVEL_NAMES[req.level],
                "weight": req.weight,
                "essential": req.essential,
            }
            for req in obj.requirements.all()
        ]


@router.get(
    "",
    response=responses({200: list[RoleSummaryOut]}),
    auth=authorize(Cap.ROLE_VIEW),
    summary="The role library",
)
@paginate(BoundedLimitOffsetPagination)
def list_roles(request, q: str = "", family: str = ""):
    return selectors.role_list(q=q, family=family)


@router.get(
    "/{code}",
    response=responses({200: RoleDetailOut, 404: ErrorOut}),
    auth=authorize(Cap.ROLE_VIEW),
    summary="One role profile with its requirements (the code in any case)",
)
def get_role(request, code: str):
    return selectors.role_get(code=code)


class RoleIn(StrictSchema):
    title: str = Field(..., min_length=1, max_length=255)
    code: str = Field(
        "",
        max_length=120,
        description="Optional; made from the title when absent. Kept as given, unique "
        "ignoring case",
    )
    description: str = ""
    grade_min: str = Field("", description="Grade code or name, e.g. HEO, G7, Grade 7")
    grade_max: str = Field("", description="Grade code or name, e.g. HEO, G7, Grade 7")
    requirements: list[RequirementIn]
    filters: FiltersIn | None = None


@router.post(
    "",
    response=responses({201: RoleDetailOut, 409: ErrorOut}, body=True),
    auth=authorize(Cap.ROLE_EDIT),
    summary="Create a local role profile",
)
def create_role(request, payload: RoleIn):
    specs, errors = requirement_specs(payload.requirements)
    filters = None
    if payload.filters is not None:
        filters, filter_errors = search_filters(payload.filters)
        errors += filter_errors
    grades = {}
    for field in ("grade_min", "grade_max"):
        value = getattr(payload, field)
        grades[field] = ""
        if value:
            try:
                grades[field] = vocabulary.grade(value)
            except VocabularyError as exc:
                errors.append(error_item(["body", field], exc.message))
    if payload.code and (problem := code_problem(payload.code)):
        errors.append(error_item(["body", "code"], problem))
    if errors:
        return Status(422, {"detail": "The role could not be saved.", "errors": errors})
    try:
        role = role_create(
            actor=request.auth,
            title=payload.title,
            code=payload.code,
            description=payload.description,
            grade_min=grades["grade_min"],
            grade_max=grades["grade_max"],
            requirements=specs,
            filters=filters,
        )
    except RoleCodeTaken:
        return Status(
            409,
            {
                "detail": f"A role with code {payload.code} already exists.",
                "errors": [error_item(["body", "code"], "Choose another code")],
            },
        )
    except RoleError as exc:
        return Status(422, {"detail": str(exc), "errors": [error_item(["body"], str(exc))]})
    return Status(201, selectors.role_get(code=role.code))
