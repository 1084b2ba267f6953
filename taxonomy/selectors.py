"""Reads behind the taxonomy pages: browse, skill page, stewardship queues."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from matching.duplicates import find_duplicate_pairs
from skills_app.people.models import PersonSkill
from skills_app.roles.models import RoleRequirement
from taxonomy.labels import SkillMatch, decide_skill, search_skills
from taxonomy.models import (
    LEVEL_NAMES,
    ProficiencyLevel,
    ProposalStatus,
    RelationKind,
    Skill,
    SkillGroup,
    SkillLevelDescriptor,
    SkillProposal,
    SkillRelation,
    SkillStatus,
    Source,
)
from taxonomy.services import taxonomy_version

RELATED_SHOWN = 30  # per list on a skill page; the rest are counted
DUPLICATE_THRESHOLD = 90.0
DUPLICATE_LIMIT = 1000
DUPLICATES_CACHE_SECONDS = 24 * 3600


# --- groups ---------------------------------------------------------------------


@dataclass(frozen=True)
class GroupNode:
    group: SkillGroup
    skill_count: int  # skills in this group and every group below it
    children: list[GroupNode]


def _subtree_counts() -> tuple[dict[int, SkillGroup], dict[int | None, list[int]], dict[int, int]]:
    groups = {g.pk: g for g in SkillGroup.objects.only("id", "name", "parent_id", "uri")}
    children: dict[int | None, list[int]] = {}
    for group in sorted(groups.values(), key=lambda g: (g.name.casefold(), g.pk)):
        children.setdefault(group.parent_id, []).append(group.pk)
    direct = dict(
        Skill.objects.filter(group__isnull=False)
        .exclude(status=SkillStatus.MERGED)
        .values_list("group_id")
        .annotate(n=Count("id"))
        .values_list("group_id", "n")
    )
    totals: dict[int, int] = {}

    def total(pk: int, path: frozenset[int]) -> int:
        if pk in totals:
            return totals[pk]
        if pk in path:  # a cycle in imported data: count it once
            return 0
        value = direct.get(pk, 0) + sum(total(child, path | {pk}) for child in children.get(pk, []))
        totals[pk] = value
        return value

    for pk in groups:
        total(pk, frozenset())
    return groups, children, totals


def group_tree(*, depth: int = 2) -> list[GroupNode]:
    """The root groups, each with its children down to ``depth`` levels, and
    the number of (unmerged) skills under each."""
    groups, children, totals = _subtree_counts()

    def node(pk: int, level: int) -> GroupNode:
        kids = [node(c, level + 1) for c in children.get(pk, [])] if level < depth else []
        return GroupNode(groups[pk], totals.get(pk, 0), kids)

    return [node(pk, 1) for pk in children.get(None, [])]


def group_get(*, pk: int) -> SkillGroup:
    return get_object_or_404(SkillGroup, pk=pk)


def group_children(*, group: SkillGroup) -> list[GroupNode]:
    groups, children, totals = _subtree_counts()
    return [GroupNode(groups[c], totals.get(c, 0), []) for c in children.get(group.pk, [])]


def group_ancestors(group: SkillGroup | None) -> list[SkillGroup]:
    """Root first, ``group`` itself last; stops on a cycle."""
    chain: list[SkillGroup] = []
    seen: set[int] = set()
    while group is not None and group.pk not in seen:
        seen.add(group.pk)
        chain.append(group)
        group = group.parent
    return list(reversed(chain))


def group_skills(*, group: SkillGroup) -> QuerySet[Skill]:
    return Skill.objects.filter(group=group).exclude(status=SkillStatus.MERGED).order_by("name")


# --- skills ---------------------------------------------------------------------


@dataclass(frozen=True)
class SourceCount:
    value: str
    label: str
    count: int


def source_counts() -> list[SourceCount]:
    """Unmerged skills per source framework, for "Browse by framework"."""
    counts = dict(
        Skill.objects.exclude(status=SkillStatus.MERGED)
        .values_list("source")
        .annotate(n=Count("id"))
        .values_list("source", "n")
    )
    return [SourceCount(v, label, counts[v]) for v, label in Source.choices if counts.get(v)]


def skills_by_source(*, source: str) -> QuerySet[Skill]:
    return (
        Skill.objects.filter(source=source)
        .exclude(status=SkillStatus.MERGED)
        .select_related("group")
        .order_by("name", "pk")
    )


def skill_get(*, pk: int) -> Skill:
    return get_object_or_404(
        Skill.objects.select_related("group", "merged_into", "group__parent"), pk=pk
    )


@dataclass(frozen=True)
class LevelDescriptor:
    level: int
    name: str
    description: str
    generic: bool  # True when the skill has no descriptor of its own for this level


def skill_level_descriptors(*, skill: Skill) -> list[LevelDescriptor]:
    own = dict(SkillLevelDescriptor.objects.filter(skill=skill).values_list("level", "description"))
    generic = {p.level: p for p in ProficiencyLevel.objects.all()}
    out = []
    for level, name in LEVEL_NAMES.items():
        if level in own:
            out.append(LevelDescriptor(level, name, own[level], False))
        elif level in generic:
            out.append(
                LevelDescriptor(level, generic[level].name, generic[level].description, True)
            )
    return out


@dataclass(frozen=True)
class RelatedList:
    skills: list[Skill]
    total: int


def _related(qs: QuerySet[SkillRelation], side: str) -> RelatedList:
    qs = qs.select_related(side).order_by(f"{side}__name", f"{side}_id")
    total = qs.count()
    return RelatedList([getattr(r, side) for r in qs[:RELATED_SHOWN]], total)


def skill_relations(*, skill: Skill) -> dict[str, RelatedList]:
    """Broader, narrower and related skills, both directions of each relation."""
    narrower = _related(
        SkillRelation.objects.filter(from_skill=skill, kind=RelationKind.NARROWER), "to_skill"
    )
    broader = _related(
        SkillRelation.objects.filter(to_skill=skill, kind=RelationKind.NARROWER), "from_skill"
    )
    related_ids = set(
        SkillRelation.objects.filter(from_skill=skill, kind=RelationKind.RELATED).values_list(
            "to_skill_id", flat=True
        )
    ) | set(
        SkillRelation.objects.filter(to_skill=skill, kind=RelationKind.RELATED).values_list(
            "from_skill_id", flat=True
        )
    )
    related_ids.discard(skill.pk)
    related_qs = Skill.objects.filter(pk__in=related_ids).order_by("name", "pk")
    related = RelatedList(list(related_qs[:RELATED_SHOWN]), len(related_ids))
    return {"broader": broader, "narrower": narrower, "related": related}


@dataclass(frozen=True)
class LevelCount:
    level: int
    name: str
    count: int
    percent: int  # share of all holders, 0-100
    bucket: int  # percent rounded to the nearest 5, for the bar's width class


def skill_holder_counts(*, skill: Skill) -> tuple[list[LevelCount], int]:
    """How many people hold ``skill`` at each level 1-4, and in total. Counts
    only: no names (the page shows them to planners and HR)."""
    counts = dict(
        PersonSkill.objects.confirmed()
        .filter(skill=skill)
        .values_list("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    total = sum(counts.values())
    rows = []
    for level, name in LEVEL_NAMES.items():
        n = counts.get(level, 0)
        percent = round(100 * n / total) if total else 0
        rows.append(LevelCount(level, name, n, percent, 5 * round(percent / 5)))
    return rows, total


@dataclass(frozen=True)
class MergeImpact:
    person_skills: int  # people holding the source skill
    people_holding_both: int  # of those, people who already hold the target
    requirements: int  # role requirements naming the source skill
    roles_with_both: int
    qualifications: int = 0  # qualification-table mappings naming the source skill


def skill_merge_impact(*, source: Skill, target: Skill) -> MergeImpact:
    holders = PersonSkill.objects.filter(skill=source).values("person_id")
    roles = RoleRequirement.objects.filter(skill=source).values("role_id")
    return MergeImpact(
        person_skills=PersonSkill.objects.filter(skill=source).count(),
        people_holding_both=PersonSkill.objects.filter(skill=target, person_id__in=holders).count(),
        requirements=RoleRequirement.objects.filter(skill=source).count(),
        roles_with_both=RoleRequirement.objects.filter(skill=target, role_id__in=roles).count(),
        qualifications=source.qualifications.count(),
    )


# --- proposals ------------------------------------------------------------------


def proposals_pending() -> QuerySet[SkillProposal]:
    return (
        SkillProposal.objects.filter(status=ProposalStatus.PENDING)
        .select_related("proposed_by", "group")
        .order_by("created_at", "id")
    )


PROPOSAL_MATCHES = 5  # as many as the skill forms offer (decide_skill's default)
PROPOSAL_MATCH_FLOOR = 45.0  # near misses below the forms' threshold, to pad the list


def proposal_matches(name: str) -> tuple[bool, list[SkillMatch]]:
    """The existing skills a proposal most likely duplicates, best first, and
    whether the first is very likely the same skill.

    The same normaliser and decision as the skill forms (taxonomy.labels.decide_skill:
    what a proposer typing that name would have been offered), padded with weaker
    near misses from search_skills. A word that on its own lands on a skill ("Pyhton"
    in "Pyhton programming" -> "Python (computer programming)") puts that skill
    first: the whole name's fuzzy score favours skills sharing its common word
    ("ICT system programming") over one sharing its misspelt distinctive word."""
    outcome, matches = decide_skill(name, limit=PROPOSAL_MATCHES)
    shown = {m.skill.pk for m in matches}
    for m in search_skills(name, limit=PROPOSAL_MATCHES * 2):
        if len(matches) >= PROPOSAL_MATCHES:
            break
        if m.score >= PROPOSAL_MATCH_FLOOR and m.skill.pk not in shown:
            matches.append(m)
            shown.add(m.skill.pk)
    words = [w for w in name.split() if len(w) >= 4]
    if outcome != "auto" and len(words) > 1:
        for word in words:
            word_outcome, word_matches = decide_skill(word, limit=1)
            if word_outcome != "auto":
                continue
            found = word_matches[0]
            matches = [found] + [m for m in matches if m.skill.pk != found.skill.pk]
    return outcome == "auto", matches[:PROPOSAL_MATCHES]


def proposals_pending_count() -> int:
    return SkillProposal.objects.filter(status=ProposalStatus.PENDING).count()


def proposals_for_user(*, user) -> QuerySet[SkillProposal]:
    return (
        SkillProposal.objects.filter(proposed_by=user)
        .select_related("skill")
        .order_by("-created_at", "-id")
    )


def proposal_get(*, pk: int) -> SkillProposal:
    return get_object_or_404(
        SkillProposal.objects.select_related("proposed_by", "decided_by", "skill", "group"), pk=pk
    )


def proposer_name(proposal: SkillProposal) -> str:
    user = proposal.proposed_by
    if user is None:
        return "Unknown"
    person = getattr(user, "person", None)
    if person is not None:
        return person.full_name
    return user.get_full_name() or user.get_username()


# --- duplicates -----------------------------------------------------------------


def _duplicates_key(version: tuple[int, str]) -> str:
    return f"taxonomy:duplicates:v2:{version[0]}:{version[1]}:{DUPLICATE_THRESHOLD}"


def _active_skill_total() -> int:
    return Skill.objects.filter(status=SkillStatus.ACTIVE).count()


_duplicates_lock = threading.Lock()


def duplicate_pairs() -> list[tuple[int, int, float]]:
    """Likely duplicate pairs among active skills, cached per taxonomy version
    (every taxonomy change bumps it, so a merge shows up at once).

    Finding them takes ~10 s over ESCO's 14,000 names, so a server computes them
    at start-up (taxonomy/labels.py warm_in_background) and a merge carries the
    list forward (duplicate_pairs_after_merge) instead of recomputing. The lock
    makes a page that arrives during the start-up computation wait for it rather
    than start a second one."""
    version = taxonomy_version()
    cached = cache.get(_duplicates_key(version))
    if cached is not None:
        return cached[0]
    with _duplicates_lock:
        version = taxonomy_version()
        cached = cache.get(_duplicates_key(version))
        if cached is not None:
            return cached[0]
        items = list(
            Skill.objects.filter(status=SkillStatus.ACTIVE)
            .order_by("pk")
            .values_list("pk", "name")
            .iterator(chunk_size=5000)
        )
        pairs = find_duplicate_pairs(items, threshold=DUPLICATE_THRESHOLD, limit=DUPLICATE_LIMIT)
        cache.set(_duplicates_key(version), (pairs, len(items)), DUPLICATES_CACHE_SECONDS)
        return pairs


def duplicate_pairs_after_merge(
    *, before: tuple[int, str], after: tuple[int, str], merged_id: int
) -> bool:
    """After ``merged_id`` was merged away, the duplicate pairs are the list from
    just before it without that skill (a merge removes one active name and changes
    no other), so store that under the new version instead of recomputing.

    Only when the list before was complete (under the limit) and exactly one
    active skill has gone since, so a change by someone else in between (a new
    skill) means a fresh computation instead. Returns whether it carried forward."""
    cached = cache.get(_duplicates_key(before))
    if cached is None:
        return False
    pairs, active_total = cached
    if len(pairs) >= DUPLICATE_LIMIT or _active_skill_total() != active_total - 1:
        return False
    kept = [pair for pair in pairs if merged_id not in (pair[0], pair[1])]
    cache.set(_duplicates_key(after), (kept, active_total - 1), DUPLICATES_CACHE_SECONDS)
    return True


@dataclass(frozen=True)
class DuplicateSide:
    skill: Skill
    holders: int  # people who hold it
    roles: int  # role requirements that name it


@dataclass(frozen=True)
class DuplicatePair:
    keep: DuplicateSide  # the suggested survivor: the more-used skill
    merge: DuplicateSide  # the suggested skill to fold into it
    score: float

    @property
    def sides(self) -> tuple[DuplicateSide, DuplicateSide]:
        return (self.keep, self.merge)


def _more_used_first(a: DuplicateSide, b: DuplicateSide) -> tuple[DuplicateSide, DuplicateSide]:
    """Keep the skill more people hold, then the one more roles need; on a tie
    keep the older skill (the smaller id), as before."""

    def key(side: DuplicateSide) -> tuple[int, int, int]:
        return (-side.holders, -side.roles, side.skill.pk)

    return (a, b) if key(a) <= key(b) else (b, a)


def duplicate_pairs_hydrate(pairs: list[tuple[int, int, float]]) -> list[DuplicatePair]:
    """One page of pairs with each skill's group, framework and how many people
    hold it and roles need it (two grouped queries for the page)."""
    ids = {pk for a, b, _ in pairs for pk in (a, b)}
    skills = Skill.objects.select_related("group").in_bulk(ids)
    holders = dict(
        PersonSkill.objects.confirmed()
        .filter(skill_id__in=ids)
        .values_list("skill_id")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("skill_id", "n")
    )
    roles = dict(
        RoleRequirement.objects.filter(skill_id__in=ids)
        .values_list("skill_id")
        .annotate(n=Count("id"))
        .values_list("skill_id", "n")
    )

    def side(pk: int) -> DuplicateSide:
        return DuplicateSide(skills[pk], holders.get(pk, 0), roles.get(pk, 0))

    result = []
    for a, b, score in pairs:
        if a in skills and b in skills:
            keep, merge = _more_used_first(side(a), side(b))
            result.append(DuplicatePair(keep, merge, score))
    return result


def active_skill_count(skill_ids: set[int], *, lock: bool) -> int:
    """How many of ``skill_ids`` are still active; on PostgreSQL also share-locks them so
    a merge (which takes FOR UPDATE) waits until the import has committed."""
    if not skill_ids:
        return 0
    ids = sorted(skill_ids)
    if lock and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT id FROM taxonomy_skill WHERE id = ANY(%s) "
                "AND status = 'active' FOR SHARE) locked",
                [ids],
            )
            return cursor.fetchone()[0]
    return Skill.objects.filter(pk__in=ids, status=SkillStatus.ACTIVE).count()


def qualification_skills(names) -> dict[str, list[tuple[int, int]]]:
    """For qualification names as people record them: the (skill id, level) pairs
    the stewards' table maps each to, keyed by the name as given. Names match
    ignoring case, accents and punctuation (``normalise``); merged skills are
    followed to their survivor by the merge itself, so ids here are live."""
    from matching.normaliser import normalise
    from taxonomy.models import QualificationSkill

    keys: dict[str, list[str]] = {}
    for name in names:
        keys.setdefault(normalise(name), []).append(name)
    found: dict[str, list[tuple[int, int]]] = {}
    rows = QualificationSkill.objects.filter(key__in=list(keys)).values_list(
        "key", "skill_id", "level"
    )
    for key, skill_id, level in rows:
        for name in keys[key]:
            found.setdefault(name, []).append((skill_id, level))
    return found


QUALIFICATION_FILTER_MAX = 200


def qualification_mappings(*, q: str = ""):
    """The stewards' table, by qualification then skill; ``q`` keeps the rows whose
    qualification or skill name contains it (any case)."""
    from taxonomy.models import QualificationSkill

    rows = QualificationSkill.objects.select_related("skill").order_by("key", "skill__name", "pk")
    q = " ".join(q.split())[:QUALIFICATION_FILTER_MAX]
    if q:
        rows = rows.filter(Q(qualification__icontains=q) | Q(skill__name__icontains=q))
    return rows


def qualification_mapping_get(*, pk: int):
    from taxonomy.models import QualificationSkill

    return get_object_or_404(QualificationSkill.objects.select_related("skill"), pk=pk)


def level_descriptors() -> list[tuple[int, str, str]]:
    """(level, name, generic description) of the four levels, for level radios."""
    generic = {p.level: p for p in ProficiencyLevel.objects.all()}
    return [
        (level, name, generic[level].description if level in generic else "")
        for level, name in LEVEL_NAMES.items()
    ]
