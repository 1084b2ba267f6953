"""Input helpers shared by the API handlers: the strict request base, the guard
against control characters, and the JSON error items every 4xx carries. Skills,
levels, grades, clearance and dates are read by the shared input vocabulary,
``skills_app.core.vocabulary``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

# C0 controls except tab, newline and carriage return (free text keeps its line
# breaks), DEL, the C1 controls, and lone UTF-16 surrogates (JSON's "\ud800"): none
# is text anyone types, NUL is refused outright by PostgreSQL (a 500 before this
# guard), and surrogates cannot be encoded for the database at all.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# In a URL path not even tab or a line break is text.
PATH_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_CHARACTER_MESSAGE = "Remove control characters (such as NUL) from this value"


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a parsed JSON value, keys included. Iterative: a body
    nested thousands deep must be a 422, not a RecursionError (a 500)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(key for key in item if isinstance(key, str))
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


class StrictSchema(Schema):
    """The base of every request body. An unknown field is refused (422 naming it)
    rather than dropped: a misspelt or unsupported field ("cap_level") silently
    ignored means the caller believes a setting applied that did not. Strings
    holding control characters are refused (422 naming the field) and so are the
    non-numbers ``NaN`` and ``Infinity``, which Python's JSON reader accepts.
    Response schemas stay plain ``Schema``: they are built from our own objects."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def refuse_control_characters(cls, value):
        if any(has_control_characters(text) for text in strings_in(value)):
            raise PydanticCustomError("control_character", CONTROL_CHARACTER_MESSAGE)
        return value


class ErrorOut(Schema):
    """Every 4xx answer: what went wrong, and one item per problem (``loc``,
    ``message``, ``type``; some carry ``suggestions`` or ``current_version``)."""

    detail: str
    errors: list[dict]


def error_item(loc: list, message: str, *, suggestions: list | None = None) -> dict:
    out = {"loc": loc, "message": message, "type": "value_error"}
    if suggestions is not None:
        out["suggestions"] = suggestions
    return out
