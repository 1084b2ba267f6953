"""Input helpers shared by the API handlers: skills given by id, URI or name,
levels given by number or name, and the JSON error items every 4xx carries."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict

from taxonomy.labels import decide_skill
from taxonomy.models import LEVEL_NAMES, Skill, SkillStatus

LEVEL_BY_NAME = {name.casefold(): level for level, name in LEVEL_NAMES.items()}


class StrictSchema(Schema):
    """The base of every request body. An unknown field is refused (422 naming it)
    rather than dropped: a misspelt or unsupported field ("cap_level") silently
    ignored means the caller believes a setting applied that did not. Response
    schemas stay plain ``Schema``: they are built from our own objects."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    detail: str
    errors: list[dict]


def parse_level(raw: int | str) -> int:
    if isinstance(raw, bool):
        raise ValueError("Level must be 1 to 4 or a level name")
    if isinstance(raw, int):
        level = raw
    else:
        text = raw.strip()
        level = int(text) if text.isdigit() else LEVEL_BY_NAME.get(text.casefold(), 0)
    if not 1 <= level <= 4:
        raise ValueError("Level must be 1 to 4 or one of Awareness, Working, Practitioner, Expert")
    return level


def suggestion(match) -> dict:
    return {
        "id": match.skill.pk,
        "name": match.skill.name,
        "uri": match.skill.uri,
        "matched_label": match.matched_label,
        "score": round(float(match.score), 1),
    }


def resolve_skill(raw: int | str, held: set[int]) -> tuple[Skill | None, str, list[dict]]:
    """(skill, error message, suggestions)."""
    if isinstance(raw, bool):
        return None, "Give the skill as an id, URI or name", []
    if isinstance(raw, int):
        skill = Skill.objects.filter(pk=raw).first()
        if skill is None:
            return None, f"No skill has id {raw}", []
    else:
        text = " ".join(raw.split())
        if not text:
            return None, "Give the skill as an id, URI or name", []
        skill = Skill.objects.filter(uri=text).first()
        if skill is None:
            outcome, matches = decide_skill(text)
            if outcome == "auto" and matches:
                return matches[0].skill, "", []
            suggestions = [suggestion(m) for m in matches]
            if suggestions:
                return (
                    None,
                    f"“{text}” could be more than one skill: use one of the suggestions",
                    suggestions,
                )
            return None, f"No skill matches “{text}”", []
    if skill.status == SkillStatus.DEPRECATED and skill.pk not in held:
        return None, f"“{skill.name}” is deprecated: choose another skill", []
    return skill, "", []


def error_item(loc: list, message: str, *, suggestions: list | None = None) -> dict:
    out = {"loc": loc, "message": message, "type": "value_error"}
    if suggestions is not None:
        out["suggestions"] = suggestions
    return out
