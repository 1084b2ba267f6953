"""Draft skills (DESIGN 9): how the proposals of several sources combine, and
what a drafting run may write over what a profile already holds.

Pure Python over plain values: the callers (``skills_app.people.drafts`` for one
person, the bulk run for everyone) gather the offers from role history, job
titles, qualifications and text, and write what ``plan`` decides.

The rules, in one place:

- **Levels.** Each source offers a skill at a level. Where sources overlap the
  highest level wins; among sources at that level the most recent use wins (a
  role held now beats one that ended). Every source is kept, the winner first,
  so the person sees each reason.
- **Last used.** A role held now, a qualification and a passage of text propose
  a skill in current use (``None``); a past role proposes its end date, and rule
  1 then ages it.
- **What a run never does.** It never proposes a skill the person rejected,
  never changes a skill that is not a draft (confirmed by the person, verified by
  a manager, assessed or certified: a draft can neither lower nor raise it), and
  never removes a draft proposed by a kind of source it did not look at (a run
  over role history leaves drafts from a pasted CV alone).
- **Stale drafts.** A draft whose every source is of a kind the run looked at,
  and which the run no longer proposes (the role-history spell was removed), is
  withdrawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

DRAFT_EVIDENCE = "inferred"


@dataclass(frozen=True, slots=True)
class Source:
    """One reason to think a person holds a skill."""

    kind: str  # people.models.DraftSource value
    label: str  # what caused it: a role's title, a qualification, the matched phrase
    level: int
    start: dt.date | None = None
    end: dt.date | None = None  # a past role's end date (None: held now, or undated)
    ref: str = ""  # role code, occupation URI, qualification name
    passage: str = ""  # the passage of text (text sources only)
    span: tuple[int, int] | None = None  # where the passage sits in the text

    @property
    def last_used(self) -> dt.date | None:
        return self.end

    def to_json(self) -> dict:
        data: dict = {"kind": self.kind, "label": self.label, "level": self.level}
        if self.start:
            data["start"] = self.start.isoformat()
        if self.end:
            data["end"] = self.end.isoformat()
        if self.ref:
            data["ref"] = self.ref
        if self.passage:
            data["passage"] = self.passage
        if self.span is not None:
            data["span"] = list(self.span)
        return data

    @classmethod
    def from_json(cls, data: Mapping) -> Source:
        def day(value):
            return dt.date.fromisoformat(value) if value else None

        span = data.get("span")
        return cls(
            kind=str(data.get("kind", "")),
            label=str(data.get("label", "")),
            level=int(data.get("level", 1)),
            start=day(data.get("start")),
            end=day(data.get("end")),
            ref=str(data.get("ref", "")),
            passage=str(data.get("passage", "")),
            span=(int(span[0]), int(span[1])) if span else None,
        )


@dataclass(frozen=True, slots=True)
class Proposal:
    skill_id: int
    level: int
    last_used: dt.date | None
    sources: tuple[Source, ...]  # the one giving the level first

    @property
    def source(self) -> str:
        return self.sources[0].kind


def _recency_key(source: Source) -> dt.date:
    return dt.date.max if source.end is None else source.end


def combine(offers: Iterable[tuple[int, Source]]) -> dict[int, Proposal]:
    """Per skill, one proposal: the highest level wins, then the most recent use;
    every distinct source is kept, the winner first."""
    by_skill: dict[int, list[Source]] = {}
    for skill_id, source in offers:
        if not 1 <= source.level <= 4:
            raise ValueError(f"a draft's level is 1 to 4, not {source.level}")
        listed = by_skill.setdefault(skill_id, [])
        if source not in listed:
            listed.append(source)
    proposals = {}
    for skill_id, sources in by_skill.items():
        ordered = sorted(sources, key=lambda s: (s.level, _recency_key(s)), reverse=True)
        best = ordered[0]
        proposals[skill_id] = Proposal(skill_id, best.level, best.last_used, tuple(ordered))
    return proposals


@dataclass(frozen=True, slots=True)
class Held:
    """What a profile holds of one skill now."""

    evidence: str
    level: int
    last_used: dt.date | None
    sources: tuple[Source, ...] = ()


@dataclass
class Plan:
    create: list[Proposal] = field(default_factory=list)
    update: list[Proposal] = field(default_factory=list)
    withdraw: list[int] = field(default_factory=list)  # skill ids of stale drafts
    unchanged: int = 0
    skipped_rejected: int = 0
    skipped_confirmed: int = 0


def plan(
    proposals: Mapping[int, Proposal],
    held: Mapping[int, Held],
    rejected: set[int] | frozenset[int],
    *,
    kinds: Iterable[str],
) -> Plan:
    """What a run that looked at sources of ``kinds`` writes for one person."""
    kinds = frozenset(kinds)
    result = Plan()
    for skill_id, proposal in proposals.items():
        if skill_id in rejected:
            result.skipped_rejected += 1
            continue
        current = held.get(skill_id)
        if current is None:
            result.create.append(proposal)
            continue
        if current.evidence != DRAFT_EVIDENCE:
            result.skipped_confirmed += 1
            continue
        # Sources of kinds this run did not look at still stand beside the new ones.
        kept = [(skill_id, s) for s in current.sources if s.kind not in kinds]
        merged = combine([*kept, *((skill_id, s) for s in proposal.sources)])[skill_id]
        if (
            merged.level == current.level
            and merged.last_used == current.last_used
            and merged.sources == current.sources
        ):
            result.unchanged += 1
        else:
            result.update.append(merged)
    for skill_id, current in held.items():
        if (
            current.evidence == DRAFT_EVIDENCE
            and skill_id not in proposals
            and current.sources
            and all(s.kind in kinds for s in current.sources)
        ):
            result.withdraw.append(skill_id)
    return result


# -- Where record-based drafts come from ------------------------------------------------------

# The kinds of source a run over a person's records looks at. A run over records
# leaves drafts from a passage of text ("text") alone, and the reverse.
RECORD_KINDS = frozenset({"role_level", "job_title", "occupation", "qualification"})

# A job title matched to an ESCO occupation proposes the occupation's essential
# skills at Practitioner and its optional skills at Working (DESIGN 9).
OCCUPATION_ESSENTIAL_LEVEL = 3
OCCUPATION_OPTIONAL_LEVEL = 2


def occupation_level(essential: bool) -> int:
    return OCCUPATION_ESSENTIAL_LEVEL if essential else OCCUPATION_OPTIONAL_LEVEL
