from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from skills_app.accounts.permissions import Cap
from skills_app.api_support import authorize
from skills_app.roles import selectors
from taxonomy.models import LEVEL_NAMES

router = Router(tags=["roles"])


class SkillRef(Schema):
    id: int
    name: str
    uri: str


class RequirementOut(Schema):
    skill: SkillRef
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
    "", response=list[RoleSummaryOut], auth=authorize(Cap.ROLE_VIEW), summary="The role library"
)
@paginate(LimitOffsetPagination)
def list_roles(request, q: str = "", family: str = ""):
    return selectors.role_list(q=q, family=family)


@router.get(
    "/{code}",
    response=RoleDetailOut,
    auth=authorize(Cap.ROLE_VIEW),
    summary="One role profile with its requirements",
)
def get_role(request, code: str):
    return selectors.role_get(code=code)
