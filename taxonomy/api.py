from django.http import StreamingHttpResponse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from skills_app.accounts.permissions import Cap
from skills_app.api_inputs import StrictSchema
from skills_app.api_support import (
    CSV,
    BoundedLimitOffsetPagination,
    authorize,
    download_content,
    json_content,
    responses,
)
from skills_app.core.throttle import UserThrottle
from taxonomy import selectors
from taxonomy.export import export_csv, export_filename, export_json
from taxonomy.extraction import MAX_LIMIT, extract_skills
from taxonomy.labels import search_skills

router = Router(tags=["taxonomy"])


class SkillSearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=200, description="What someone typed")
    limit: int = Field(10, ge=1, le=50)


class SkillHit(Schema):
    id: int
    name: str
    uri: str
    group: str | None
    kind: str
    score: float
    matched_label: str
    match_type: str


@router.get(
    "/skills",
    response=responses({200: list[SkillHit]}),
    auth=authorize(Cap.TAXONOMY_VIEW),
    summary="Fuzzy skill search: names, alternative labels, misspellings",
)
def skill_search(request, params: Query[SkillSearchParams]):
    return [
        {
            "id": m.skill.pk,
            "name": m.skill.name,
            "uri": m.skill.uri,
            "group": m.skill.group.name if m.skill.group_id else None,
            "kind": m.skill.kind,
            "score": round(m.score, 1),
            "matched_label": m.matched_label,
            "match_type": m.match_type,
        }
        for m in search_skills(params.q, limit=params.limit)
    ]


MAX_EXTRACT_CHARS = 20_000  # a long CV; longer texts are refused (422), not cut


class ExtractIn(StrictSchema):
    text: str = Field(
        ...,
        min_length=1,
        max_length=MAX_EXTRACT_CHARS,
        description="A CV or a paragraph about someone's work. Neither stored nor logged.",
    )
    limit: int = Field(20, ge=1, le=MAX_LIMIT)


class ExtractedSkill(Schema):
    id: int
    name: str
    uri: str


class ExtractHit(Schema):
    skill: ExtractedSkill
    score: float = Field(..., description="0-1, higher is surer")
    span: list[int] = Field(
        ...,
        min_length=2,
        max_length=2,
        description="[start, end) character offsets in `text` of the supporting passage",
    )
    matched_label: str = Field(..., description="The skill's label that the passage supports")


@router.post(
    "/skills/extract",
    response=responses({200: list[ExtractHit]}, body=True, throttled=True),
    auth=authorize(Cap.TAXONOMY_VIEW),
    summary="Skills a free text speaks of (CV, 'what I do'), with the passage behind each",
    throttle=UserThrottle("search"),
)
def skill_extract(request, payload: ExtractIn):
    return extract_skills(payload.text, limit=payload.limit)


class ExportParams(Schema):
    format: str = Field("json", pattern="^(json|csv)$")


@router.get(
    "/taxonomy/export",
    response=responses({}),
    openapi_extra=download_content(json_content({"type": "object"}), CSV),
    auth=authorize(Cap.TAXONOMY_VIEW),
    summary="The whole taxonomy, versioned, as JSON or CSV",
)
def taxonomy_export(request, params: Query[ExportParams]):
    return taxonomy_download(params.format)


def taxonomy_download(fmt: str) -> StreamingHttpResponse:
    stream, content_type = (
        (export_csv(), "text/csv; charset=utf-8")
        if fmt == "csv"
        else (export_json(), "application/json")
    )
    response = StreamingHttpResponse(stream, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(fmt)}"'
    return response


class QualificationSkillOut(Schema):
    id: int
    qualification: str = Field(description="The name as the steward gave it")
    key: str = Field(description="The name normalised: how people's qualifications match it")
    skill_id: int
    skill_name: str = Field(alias="skill.name")
    skill_uri: str = Field(alias="skill.uri")
    level: int = Field(ge=1, le=4)
    level_name: str
    version: int

    @staticmethod
    def resolve_level_name(obj) -> str:
        return obj.get_level_display()


class QualificationParams(Schema):
    q: str = Field("", max_length=200, description="Part of a qualification or skill name")


@router.get(
    "/taxonomy/qualifications",
    response=responses({200: list[QualificationSkillOut]}),
    auth=authorize(Cap.TAXONOMY_VIEW),
    summary="The stewards' table of qualifications and the skills (and levels) they show",
)
@paginate(BoundedLimitOffsetPagination)
def qualification_list(request, params: Query[QualificationParams]):
    """Paged (``limit``, ``offset``), by qualification then skill; ``q`` filters."""
    return selectors.qualification_mappings(q=params.q)
