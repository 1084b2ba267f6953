"""How numbers are shown, the same on every page, export and API answer.

Scores, shares and thresholds are fractions inside Muster (0.8 = 80%); people see
percentages with one decimal. Each way of showing one lives here once.
"""

from __future__ import annotations

import re
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from taxonomy.models import LEVEL_NAMES


def percent_label(fraction) -> str:
    """0.8123 -> "81.2%"; None -> "" (nothing to show, such as a mean of no one)."""
    return "" if fraction is None else f"{float(fraction) * 100:.1f}%"


def percent_number(fraction) -> str:
    """0.8 -> "80", 0.725 -> "72.5": a percentage as typed into a form or a link,
    one decimal, none when it is 0."""
    return f"{float(fraction) * 100:.1f}".removesuffix(".0")


def percent_value(fraction) -> float | str:
    """0.8767 -> 87.7 as a number for a spreadsheet cell or JSON; None -> "" (an
    empty cell, not 0)."""
    return "" if fraction is None else round(float(fraction) * 100, 1)


def level_label(level: int) -> str:
    """3 -> "3 Practitioner"; 0 -> "Not held"."""
    return f"{level} {LEVEL_NAMES[level]}" if level else "Not held"


def count_label(number) -> str:
    """12345 -> "12,345": every count on a page, with thousands separators."""
    return f"{int(number):,}"


# --- dates and times, as GOV.UK writes them ----------------------------------------
# "6 December 2026", "11:58pm", "9am", "midday", "midnight" (the GOV.UK style guide).
# Django's "a" format gives "p.m." in British English, which ended a sentence as
# "11:58p.m.." and no settings format can say "pm", so every template shows dates
# and times through these filters (built into every template by settings.TEMPLATES).

register = template.Library()


def _local(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def govuk_time(value) -> str:
    """datetime or time -> "11:58pm", "9am", "midday", "midnight"; None -> ""."""
    if value is None or value == "":
        return ""
    value = _local(value)
    hour, minute = value.hour, value.minute
    if minute == 0 and hour in (0, 12):
        return "midnight" if hour == 0 else "midday"
    twelve = hour % 12 or 12
    suffix = "am" if hour < 12 else "pm"
    return f"{twelve}{suffix}" if minute == 0 else f"{twelve}:{minute:02d}{suffix}"


@register.filter
def govuk_date(value) -> str:
    """date or datetime -> "6 December 2026"; None -> ""."""
    if value is None or value == "":
        return ""
    value = _local(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


@register.filter
def govuk_datetime(value) -> str:
    """datetime -> "6 December 2026 at 11:58pm"; None -> ""."""
    if value is None or value == "":
        return ""
    return f"{govuk_date(value)} at {govuk_time(value)}"


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# --- text with lists: level descriptors and role descriptions ---------------------
# DDaT writes "You can:" then one "- ..." line per ability; shown through
# |linebreaks that became one run-on paragraph with hyphens in it.

_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2013]|\d{1,2}[.)])\s+")
_INLINE_BULLETS = re.compile(r"\s+[-\u2022]\s+")  # "You can: - a - b" on one line
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _inline_items(line: str) -> list[str] | None:
    """ "You can: - do a - do b" -> ["You can:", "do a", "do b"] when a colon
    introduces two or more " - " items; None for an ordinary line."""
    head, colon, rest = line.partition(":")
    if not colon or len(_INLINE_BULLETS.findall(" " + rest)) < 2:
        return None
    items = [part.strip() for part in _INLINE_BULLETS.split(" " + rest) if part.strip()]
    return [head.strip() + ":"] + items


@register.filter
def text_blocks(text, split_sentences: str = "") -> list[dict]:
    """Plain text -> blocks to render: ``{"kind": "p", "text": ...}`` for each
    paragraph and ``{"kind": "ul", "items": [...]}`` for each run of bullet
    lines ("- ", "* ", "• ", "1. "). With ``split_sentences`` (level
    descriptors), text without any bullets but with several sentences becomes
    one list of those sentences. See templates/components/text_blocks.html."""
    blocks: list[dict] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append({"kind": "p", "text": " ".join(paragraph)})
            paragraph.clear()
        if items:
            blocks.append({"kind": "ul", "items": list(items)})
            items.clear()

    for line in str(text or "").splitlines():
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        bullet = _BULLET.match(line)
        inline = None if bullet else _inline_items(stripped)
        if bullet:
            if paragraph:
                blocks.append({"kind": "p", "text": " ".join(paragraph)})
                paragraph.clear()
            items.append(line[bullet.end() :].strip())
        elif inline:
            flush()
            blocks.append({"kind": "p", "text": inline[0]})
            blocks.append({"kind": "ul", "items": inline[1:]})
        else:
            if items:
                flush()
            paragraph.append(stripped)
    flush()
    if split_sentences and all(block["kind"] == "p" for block in blocks):
        sentences = [
            sentence
            for block in blocks
            for sentence in _SENTENCE_BREAK.split(block["text"])
            if sentence.strip()
        ]
        if len(sentences) > 1:
            return [{"kind": "ul", "items": sentences}]
    return blocks


@register.filter
def path_breaks(value) -> str:
    """An organisation path ("Dept/Directorate/Team") that wraps only after its
    slashes, never in the middle of a unit's name."""
    return mark_safe("/<wbr>".join(escape(part) for part in str(value).split("/")))  # noqa: S308
