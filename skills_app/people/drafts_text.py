"""Skills from a CV or a "what I do" paragraph the person pastes (DESIGN 9,
"Text" source): what the taxonomy finds in it, and adding the ones the person
ticks as drafts (or confirming them at once) through ``people.drafts``.

The text itself is never stored, logged or audited: each skill added keeps only
the sentence it was found in (its ``passage``), so the person later sees why.
The page sends the text back with the ticked skills, and the skills are found
again here, so what is written is always what the taxonomy found in that text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction

from matching.drafting import Source
from skills_app.people.drafts import DraftCounts, draft_confirm, draft_person
from skills_app.people.models import DraftRejection, DraftSource, EvidenceKind, Person, PersonSkill
from skills_app.people.presenters import Quote
from taxonomy.extraction import extract_skills

TEXT_MAX = 10_000  # characters pasted at once
FOUND_LIMIT = 40  # skills proposed from one text
# A phrase in one's own words says one uses the skill, not how well: Working (2),
# which the person raises or lowers when they confirm it.
TEXT_LEVEL = 2
PASSAGE_MAX = 300  # characters of the sentence kept around a match
_SENTENCE_END = re.compile(r"[.!?;\n\r•]")


class Status:
    NEW = "new"  # not on the profile: can be added
    DRAFT = "draft"  # already a draft: the passage is added to its sources
    HELD = "held"  # already a confirmed skill: nothing to add
    REJECTED = "rejected"  # the person said they do not have it


@dataclass(frozen=True)
class Found:
    skill_id: int
    name: str
    matched_label: str
    quote: Quote  # the sentence the phrase is in, the phrase picked out
    span: tuple[int, int]  # where the phrase is in the text
    status: str

    @property
    def passage(self) -> str:
        return "".join((self.quote.before, self.quote.match, self.quote.after)).strip()

    @property
    def can_add(self) -> bool:
        return self.status in (Status.NEW, Status.DRAFT)

    def source(self) -> Source:
        return Source(
            kind=DraftSource.TEXT,
            label=self.matched_label,
            level=TEXT_LEVEL,
            passage=self.passage,
            span=self.span,
        )


def passage_around(text: str, start: int, end: int) -> Quote:
    """The sentence (or line) holding ``text[start:end]``, cut to about
    PASSAGE_MAX characters around it with "…" where it was cut and its spacing
    tidied, as (before, the phrase, after). A span that is the whole sentence
    (the extractor found the skill in its sense, not a phrase) picks nothing out."""
    end = min(end, start + PASSAGE_MAX)
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    # From the span's last character: a span that is a whole sentence ends at its own stop.
    after = _SENTENCE_END.search(text, max(start, end - 1))
    right = len(text) if after is None else after.end()
    if after is not None and text[after.start()] in "\n\r•;":
        right = after.start()  # a line or list item ends without its break
    room = max(0, PASSAGE_MAX - (end - start)) // 2
    cut_left, cut_right = left < start - room, right > end + room
    left, right = max(left, start - room), min(right, end + room)

    def tidy(part: str) -> str:
        return " ".join(part.split())

    before, match, rest = text[left:start], text[start:end], text[end:right]
    if cut_left and " " in before:
        before = before.split(" ", 1)[1]  # whole words only
    if cut_right and " " in rest.strip():
        rest = rest.rsplit(" ", 1)[0]
    if not tidy(before + rest).strip(" .!?;,"):
        before, match, rest = match, "", ""  # the span is the sentence itself
    before = ("…" if cut_left else "") + tidy(before).lstrip()
    rest = tidy(rest) + ("…" if cut_right else "")
    gap = " " if match and before and text[start - 1 : start].isspace() else ""
    space = " " if match and rest and text[end : end + 1].isspace() else ""
    return Quote(before + gap, tidy(match), space + rest)


def find_skills(*, person: Person, text: str, limit: int = FOUND_LIMIT) -> list[Found]:
    """Skills named in ``text``, with where each stands on the person's profile."""
    hits = extract_skills(text[:TEXT_MAX], limit)
    ids = [h["skill"]["id"] for h in hits]
    held = dict(
        PersonSkill.objects.filter(person=person, skill_id__in=ids).values_list(
            "skill_id", "evidence"
        )
    )
    rejected = set(
        DraftRejection.objects.filter(person=person, skill_id__in=ids).values_list(
            "skill_id", flat=True
        )
    )
    found = []
    for h in hits:
        skill_id = h["skill"]["id"]
        start, end = (int(x) for x in h["span"])
        if skill_id in rejected:
            status = Status.REJECTED
        elif skill_id not in held:
            status = Status.NEW
        elif held[skill_id] == EvidenceKind.INFERRED:
            status = Status.DRAFT
        else:
            status = Status.HELD
        found.append(
            Found(
                skill_id=skill_id,
                name=h["skill"]["name"],
                matched_label=h.get("matched_label") or h["skill"]["name"],
                quote=passage_around(text, start, end),
                span=(start, end),
                status=status,
            )
        )
    return found


@dataclass(frozen=True)
class TextResult:
    counts: DraftCounts
    added: list[str]  # names of the skills added or updated as drafts
    confirmed: list[str]  # names of the skills confirmed straight away


@transaction.atomic
def add_from_text(
    *, actor, person: Person, text: str, skill_ids: set[int], confirm: bool = False
) -> TextResult:
    """Add the skills ``skill_ids`` that ``text`` names as drafts, each with its
    passage; with ``confirm``, confirm them at once at their proposed level. A
    paste never withdraws an earlier draft (it looks at no kind of source)."""
    chosen = [f for f in find_skills(person=person, text=text) if f.skill_id in skill_ids]
    chosen = [f for f in chosen if f.can_add]
    counts = draft_person(
        actor=actor, person=person, offers=[(f.skill_id, f.source()) for f in chosen], kinds=()
    )
    confirmed = []
    if confirm and chosen:
        drafts = PersonSkill.objects.filter(
            person=person, skill_id__in=[f.skill_id for f in chosen]
        ).drafts()
        for row in drafts.select_related("skill").order_by("skill__name", "pk"):
            draft_confirm(
                actor=actor, person=person, person_skill_id=row.pk, expected_version=row.version
            )
            confirmed.append(row.skill.name)
    return TextResult(counts, [f.name for f in chosen], confirmed)
