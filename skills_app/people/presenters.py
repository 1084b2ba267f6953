"""Why Muster thinks a person holds a skill, in plain English (DESIGN 9).

A draft skill's ``sources`` (``matching.drafting.Source`` as JSON) say what
proposed it. This module is the one place that turns a source into words, for
"Check your draft skills", the paste-a-CV page and the profile's skills list
(a confirmed draft keeps its sources: "From: Senior data analyst 2021–2024").

What each kind of source carries, as the drafting sources write it:

- ``role_level``: ``label`` the role's title, ``start``/``end`` the spell's dates
  (no ``end``: held now), ``ref`` the role-library code;
- ``job_title``: ``label`` the job title as written in the role history, ``ref``
  the role-library code it was matched to;
- ``occupation``: ``label`` the job title, ``ref`` the ESCO occupation's URI;
- ``qualification``: ``label`` the qualification's name;
- ``text``: ``label`` the taxonomy label that matched, ``passage`` the sentence
  it matched in (the text itself is never kept);
- ``move``: ``label`` the work the person was moved to on a surge move, with the
  move's dates.

A kind this module does not know yet still reads as a sentence ("Muster found
‘…’ in your records"), so a new source never breaks the page.

The names behind ``ref`` (a role's title, an occupation's name) are read in one
query per page (``ref_names``), not stored in the source, so a renamed role
reads with its new name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from matching.drafting import Source
from taxonomy.models import LEVEL_NAMES

PASSAGE_SHOWN = 240  # characters of a passage shown around the match


@dataclass(frozen=True)
class Quote:
    """A passage of the person's own text, with the phrase that matched."""

    before: str
    match: str
    after: str


@dataclass(frozen=True)
class SourceView:
    kind: str
    sentence: str  # "You were a Senior data analyst from 2021 to 2024"
    level: int  # the level this source proposes
    level_label: str  # "3 Practitioner"
    quote: Quote | None = None  # text sources: "You wrote:" then the passage
    short: str = ""  # "Senior data analyst 2021–2024", after "From: "


def as_source(data: Source | Mapping) -> Source:
    return data if isinstance(data, Source) else Source.from_json(data)


def _article(noun: str) -> str:
    """ "a" or "an" before a role title (by its first letter: "an Analyst")."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _years(start: dt.date | None, end: dt.date | None, *, dash: bool = False) -> str:
    """The spell's years: " from 2021 to 2024", " in 2024", " since 2021", or ""
    (``dash``: "2021–2024", "2024", "since 2021")."""
    if start and end:
        if start.year == end.year:
            return f"{start.year}" if dash else f" in {start.year}"
        return f"{start.year}–{end.year}" if dash else f" from {start.year} to {end.year}"
    if end:
        return f"until {end.year}" if dash else f" until {end.year}"
    if start:
        return f"since {start.year}" if dash else f" since {start.year}"
    return ""


def _quote(passage: str, label: str) -> Quote:
    """The passage (cut to about PASSAGE_SHOWN characters around the match) with
    the matched phrase picked out: the label's words in the passage, any case and
    any punctuation or spacing between them."""
    passage = " ".join(passage.split())
    words = [re.escape(w) for w in re.findall(r"[\w+#]+", label)]
    found = re.search(r"\b" + r"\W+".join(words) + r"(?!\w)", passage, re.I) if words else None
    if found is None:
        return Quote(_clip(passage, PASSAGE_SHOWN, tail=True), "", "")
    start, end = found.span()
    room = max(0, PASSAGE_SHOWN - (end - start)) // 2
    before, after = passage[:start], passage[end:]
    return Quote(_clip(before, room, tail=False), passage[start:end], _clip(after, room, tail=True))


def _clip(text: str, size: int, *, tail: bool) -> str:
    """``text`` cut to ``size`` characters at a word, with "…" where it was cut:
    its start kept when ``tail`` (text after the match), its end otherwise."""
    if len(text) <= size:
        return text
    if tail:
        return text[:size].rsplit(" ", 1)[0] + "…"
    cut = text[-size:]
    return "…" + (cut.split(" ", 1)[1] if " " in cut else cut)


def describe_source(data: Source | Mapping, names: Mapping[tuple[str, str], str] | None = None):
    """One source as a ``SourceView``: the sentence addressed to the person, the
    level it proposes, and its short form for "From: ..."."""
    s = as_source(data)
    names = names or {}
    label = s.label.strip() or "a role"
    level_label = f"{s.level} {LEVEL_NAMES.get(s.level, '')}".strip()
    quote = None
    if s.kind == "role_level":
        verb = "were" if s.end else ("have been" if s.start else "are")
        sentence = f"You {verb} {_article(label)} {label}{_years(s.start, s.end)}"
        short = f"{label} {_years(s.start, s.end, dash=True)}".strip()
    elif s.kind == "job_title":
        role = names.get(("role", s.ref))
        sentence = f"Your job title ‘{label}’" + (
            f" matches the role ‘{role}’ in the role library" if role else " matches a role"
        )
        sentence += _years(s.start, s.end)
        short = f"your job title ‘{label}’"
    elif s.kind == "occupation":
        occupation = names.get(("occupation", s.ref))
        sentence = f"Your job title ‘{label}’" + (
            f" matches the ESCO occupation ‘{occupation}’"
            if occupation
            else " matches an ESCO occupation"
        )
        sentence += _years(s.start, s.end)
        short = f"your job title ‘{label}’"
    elif s.kind == "qualification":
        sentence = f"You hold {label}"
        short = label
    elif s.kind == "move":
        sentence = f"You used it on a surge move to {label}{_years(s.start, s.end)}"
        short = f"a surge move to {label}"
    elif s.kind == "text":
        sentence = "You wrote:"
        quote = _quote(s.passage or s.label, s.label)
        short = f"what you wrote (‘{s.label}’)"
    else:
        sentence = f"Muster found ‘{label}’ in your records"
        short = label
    return SourceView(s.kind, sentence, s.level, level_label, quote, short)


def describe_sources(
    sources: Iterable, names: Mapping[tuple[str, str], str] | None = None
) -> list[SourceView]:
    return [describe_source(s, names) for s in sources or ()]


def from_line(sources: Iterable, names: Mapping[tuple[str, str], str] | None = None) -> str:
    """ "From: Senior data analyst 2021–2024 and PRINCE2 Practitioner" for a
    skill that came from drafts ("" for one typed in by the person or HR)."""
    shorts = [v.short for v in describe_sources(sources, names) if v.short]
    if not shorts:
        return ""
    listed = shorts[0] if len(shorts) == 1 else ", ".join(shorts[:-1]) + " and " + shorts[-1]
    return f"From: {listed}"


def ref_names(sources: Iterable) -> dict[tuple[str, str], str]:
    """{("role", code) or ("occupation", uri): its name} for the refs ``sources``
    make (one query per kind of ref)."""
    from skills_app.roles.models import RoleProfile
    from taxonomy.models import Occupation

    roles, occupations = set(), set()
    for data in sources:
        s = as_source(data)
        if s.ref and s.kind == "job_title":
            roles.add(s.ref)
        elif s.ref and s.kind == "occupation":
            occupations.add(s.ref)
    names: dict[tuple[str, str], str] = {}
    if roles:
        for code, title in RoleProfile.objects.filter(code__in=roles).values_list("code", "title"):
            names[("role", code)] = title
    if occupations:
        for uri, name in Occupation.objects.filter(uri__in=occupations).values_list("uri", "name"):
            names[("occupation", uri)] = name
    return names
