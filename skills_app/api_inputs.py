"""Input helpers shared by the API handlers: the strict request base and the JSON
error items every 4xx carries. Skills, levels, grades, clearance and dates are read
by the shared input vocabulary, ``skills_app.core.vocabulary``."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    """The base of every request body. An unknown field is refused (422 naming it)
    rather than dropped: a misspelt or unsupported field ("cap_level") silently
    ignored means the caller believes a setting applied that did not. Response
    schemas stay plain ``Schema``: they are built from our own objects."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    detail: str
    errors: list[dict]


def error_item(loc: list, message: str, *, suggestions: list | None = None) -> dict:
    out = {"loc": loc, "message": message, "type": "value_error"}
    if suggestions is not None:
        out["suggestions"] = suggestions
    return out
