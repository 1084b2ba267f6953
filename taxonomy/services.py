"""Writes to the taxonomy: proposals, stewardship decisions, merges, deprecation.

Every function is keyword-only and atomic, and bumps the taxonomy version so
every process's label index notices the change (the qualification table's
writes do not: no label changes, and the drafting run reads the table afresh).
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from skills_app.audit.models import Action
from skills_app.audit.services import record_event
from skills_app.core import vocabulary
from skills_app.core.concurrency import locked_for_edit, save_new_version
from skills_app.core.staging import Counts
from skills_app.core.vocabulary import follow_merges
from skills_app.index.changes import workforce_changed
from skills_app.people.models import ChangeScope, EvidenceKind, PersonSkill
from skills_app.roles.models import RoleRequirement
from taxonomy.models import (
    OccupationSkill,
    ProposalStatus,
    QualificationSkill,
    Skill,
    SkillAlias,
    SkillProposal,
    SkillRelation,
    SkillStatus,
    Source,
    TaxonomyState,
)

LOCAL_URI_PREFIX = "urn:muster:local:skill:"
MERGED_ALIAS_SOURCE = "merged"
# Stronger evidence wins when a merge leaves a person with two records of one skill.
EVIDENCE_RANK = {
    EvidenceKind.SELF: 0,
    EvidenceKind.MANAGER_VERIFIED: 1,
    EvidenceKind.ASSESSED: 2,
    EvidenceKind.CERTIFIED: 3,
}


def taxonomy_changed() -> None:
    token = uuid.uuid4().hex
    updated = TaxonomyState.objects.filter(pk=1).update(version=F("version") + 1, token=token)
    if not updated:
        TaxonomyState.objects.get_or_create(pk=1, defaults={"version": 1, "token": token})


def taxonomy_version() -> tuple[int, str]:
    """(counter, token) of the current taxonomy; (0, "") before any change."""
    row = TaxonomyState.objects.filter(pk=1).values_list("version", "token").first()
    return row or (0, "")


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ValidationError({"name": "Enter the name of the skill"})
    if len(cleaned) > 255:
        raise ValidationError({"name": "Skill name must be 255 characters or fewer"})
    return cleaned


def _existing_skill_named(name: str) -> Skill | None:
    folded = name.casefold()
    for skill in Skill.objects.filter(name__iexact=name).exclude(status=SkillStatus.MERGED):
        if skill.name.casefold() == folded:
            return skill
    alias = (
        SkillAlias.objects.select_related("skill")
        .filter(label__iexact=name)
        .exclude(skill__status=SkillStatus.MERGED)
        .first()
    )
    return alias.skill if alias else None


@transaction.atomic
def skill_propose(
    *, user, name: str, description: str = "", kind: str = "skill", group=None
) -> SkillProposal:
    name = _clean_name(name)
    existing = _existing_skill_named(name)
    if existing is not None:
        raise ValidationError(
            {"name": f"“{existing.name}” is already in the taxonomy: choose it instead"}
        )
    if SkillProposal.objects.filter(name__iexact=name, status=ProposalStatus.PENDING).exists():
        raise ValidationError({"name": "Someone has already proposed this skill"})
    return SkillProposal.objects.create(
        name=name, description=description.strip(), kind=kind, group=group, proposed_by=user
    )


def _lock_pending(proposal: SkillProposal) -> SkillProposal:
    locked = SkillProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != ProposalStatus.PENDING:
        raise ValidationError("This proposal has already been decided")
    return locked


def _decide(proposal: SkillProposal, *, steward, status: str, note: str = "", skill=None):
    proposal.status = status
    proposal.decided_by = steward
    proposal.decided_at = timezone.now()
    proposal.decision_note = note.strip()[:500]
    proposal.skill = skill
    proposal.save()


def _unique_local_uri(name: str) -> str:
    base = f"{LOCAL_URI_PREFIX}{slugify(name)[:180] or 'skill'}"
    uri, n = base, 1
    while Skill.objects.filter(uri=uri).exists():
        n += 1
        uri = f"{base}-{n}"
    return uri


@transaction.atomic
def proposal_approve(
    *, proposal: SkillProposal, steward, name: str | None = None, description: str | None = None
) -> Skill:
    proposal = _lock_pending(proposal)
    final_name = _clean_name(name or proposal.name)
    if (existing := _existing_skill_named(final_name)) is not None:
        raise ValidationError({"name": f"“{existing.name}” already exists: merge instead"})
    skill = Skill.objects.create(
        name=final_name,
        description=(description if description is not None else proposal.description).strip(),
        kind=proposal.kind,
        group=proposal.group,
        source=Source.LOCAL,
        uri=_unique_local_uri(final_name),
    )
    _decide(proposal, steward=steward, status=ProposalStatus.APPROVED, skill=skill)
    taxonomy_changed()
    return skill


@transaction.atomic
def proposal_reject(*, proposal: SkillProposal, steward, note: str) -> SkillProposal:
    proposal = _lock_pending(proposal)
    if not note.strip():
        raise ValidationError({"note": "Give a reason, so the person who proposed it knows why"})
    _decide(proposal, steward=steward, status=ProposalStatus.REJECTED, note=note)
    return proposal


@transaction.atomic
def proposal_merge(*, proposal: SkillProposal, steward, target: Skill) -> SkillProposal:
    """The proposed skill exists under another name: keep the name as an alias."""
    proposal = _lock_pending(proposal)
    target = follow_merges(target)
    if proposal.name.casefold() != target.name.casefold():
        SkillAlias.objects.get_or_create(
            skill=target, label=proposal.name, defaults={"source": MERGED_ALIAS_SOURCE}
        )
    _decide(proposal, steward=steward, status=ProposalStatus.MERGED, skill=target)
    taxonomy_changed()
    return proposal


def skill_resolve(*, skill_id: int) -> Skill:
    return follow_merges(Skill.objects.get(pk=skill_id))


def _better_person_skill(a: PersonSkill, b: PersonSkill) -> PersonSkill:
    def strength(ps: PersonSkill):
        # Higher level first; then current use (blank last_used) or the more recent; then evidence.
        recency = ps.last_used.toordinal() if ps.last_used else 10**9
        return (ps.level, recency, EVIDENCE_RANK.get(ps.evidence, 0))

    return a if strength(a) >= strength(b) else b


@transaction.atomic
def skill_merge(*, source: Skill, target: Skill, steward) -> Skill:
    """Merge ``source`` into ``target``: every person skill, role requirement,
    occupation link, alias and relation moves to the target (a person or role
    holding both keeps the higher level), the old name stays as an alias, and
    the source is kept as ``merged`` so its URI still resolves."""
    if source.pk == target.pk:
        raise ValidationError("A skill cannot be merged into itself")
    # Lock both skills in id order: two merges of the same pair cannot deadlock,
    # and concurrent profile edits that lock a skill row wait for us.
    locked = {
        s.pk: s
        for s in Skill.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.status == SkillStatus.MERGED:
        raise ValidationError("That skill has already been merged")
    if target.status == SkillStatus.MERGED:
        raise ValidationError("Choose a skill that has not itself been merged")

    moved = _merge_person_skills(source, target)
    requirements = _merge_requirements(source, target)
    _merge_occupations(source, target)
    _merge_aliases(source, target)
    _merge_relations(source, target)
    qualifications = _merge_qualifications(source, target)
    Skill.objects.filter(merged_into=source).update(merged_into=target)
    source.status = SkillStatus.MERGED
    source.merged_into = target
    source.save(update_fields=["status", "merged_into", "updated_at"])
    record_event(
        actor=steward,
        action=Action.MERGE,
        object_type="skill",
        object_id=source.pk,
        parameters={
            "source": source.uri,
            "target": target.uri,
            "person_skills": moved,
            "requirements": requirements,
            "qualifications": qualifications,
        },
    )
    taxonomy_changed()
    workforce_changed(ChangeScope.ALL)  # person skills moved in bulk
    return target


def _merge_person_skills(source: Skill, target: Skill) -> int:
    rows = list(
        PersonSkill.objects.select_for_update()
        .filter(skill__in=[source, target])
        .order_by("person_id", "skill_id")
    )
    by_person: dict[int, dict[int, PersonSkill]] = {}
    for row in rows:
        by_person.setdefault(row.person_id, {})[row.skill_id] = row
    delete_ids, repoint, upgrade = [], [], []
    for held in by_person.values():
        old, new = held.get(source.pk), held.get(target.pk)
        if old is None:
            continue
        if new is None:
            repoint.append(old.pk)
        elif _better_person_skill(new, old) is old:
            for field in ("level", "last_used", "evidence", "verified_by", "verified_at", "note"):
                setattr(new, field, getattr(old, field))
            upgrade.append(new)
            delete_ids.append(old.pk)
        else:
            delete_ids.append(old.pk)
    PersonSkill.objects.filter(pk__in=delete_ids).delete()
    PersonSkill.objects.filter(pk__in=repoint).update(skill=target, version=F("version") + 1)
    for row in upgrade:
        row.version += 1
    PersonSkill.objects.bulk_update(
        upgrade, ["level", "last_used", "evidence", "verified_by", "verified_at", "note", "version"]
    )
    return len(repoint) + len(delete_ids)


def _merge_requirements(source: Skill, target: Skill) -> int:
    rows = list(
        RoleRequirement.objects.select_for_update()
        .filter(skill__in=[source, target])
        .order_by("role_id", "skill_id")
    )
    by_role: dict[int, dict[int, RoleRequirement]] = {}
    for row in rows:
        by_role.setdefault(row.role_id, {})[row.skill_id] = row
    changed = 0
    for held in by_role.values():
        old, new = held.get(source.pk), held.get(target.pk)
        if old is None:
            continue
        changed += 1
        if new is None:
            old.skill = target
            old.save(update_fields=["skill"])
        else:
            new.level = max(new.level, old.level)
            new.weight = max(new.weight, old.weight)
            new.essential = new.essential or old.essential
            new.save(update_fields=["level", "weight", "essential"])
            old.delete()
    return changed


def _merge_qualifications(source: Skill, target: Skill) -> int:
    """Qualifications that showed ``source`` show ``target``; one that showed both
    keeps the higher of its two levels. Returns the mappings changed."""
    rows = list(
        QualificationSkill.objects.select_for_update()
        .filter(skill__in=[source, target])
        .order_by("key", "skill_id")
    )
    on_target = {row.key: row for row in rows if row.skill_id == target.pk}
    changed = 0
    for old in (row for row in rows if row.skill_id == source.pk):
        changed += 1
        new = on_target.get(old.key)
        if new is None:
            old.skill = target
            save_new_version(old, ["skill"])
            on_target[old.key] = old
            continue
        if old.level > new.level:
            new.level = old.level
            save_new_version(new, ["level"])
        old.delete()
    return changed


def _merge_occupations(source: Skill, target: Skill) -> None:
    targets = dict(
        OccupationSkill.objects.filter(skill=target).values_list("occupation_id", "essential")
    )
    for link in OccupationSkill.objects.filter(skill=source):
        if link.occupation_id in targets:
            if link.essential and not targets[link.occupation_id]:
                OccupationSkill.objects.filter(
                    skill=target, occupation_id=link.occupation_id
                ).update(essential=True)
            link.delete()
        else:
            link.skill = target
            link.save(update_fields=["skill"])


def _merge_aliases(source: Skill, target: Skill) -> None:
    have = {label.casefold() for label in target.aliases.values_list("label", flat=True)}
    have.add(target.name.casefold())
    for alias in SkillAlias.objects.filter(skill=source):
        if alias.label.casefold() in have:
            alias.delete()
        else:
            have.add(alias.label.casefold())
            alias.skill = target
            alias.save(update_fields=["skill"])
    if source.name.casefold() not in have:
        SkillAlias.objects.create(skill=target, label=source.name, source=MERGED_ALIAS_SOURCE)


def _merge_relations(source: Skill, target: Skill) -> None:
    existing = set(
        SkillRelation.objects.filter(from_skill=target).values_list("to_skill_id", "kind")
    ) | {
        ("in", f, k)
        for f, k in SkillRelation.objects.filter(to_skill=target).values_list(
            "from_skill_id", "kind"
        )
    }
    for relation in SkillRelation.objects.filter(from_skill=source):
        key = (relation.to_skill_id, relation.kind)
        if relation.to_skill_id == target.pk or key in existing:
            relation.delete()
        else:
            existing.add(key)
            relation.from_skill = target
            relation.save(update_fields=["from_skill"])
    for relation in SkillRelation.objects.filter(to_skill=source):
        key = ("in", relation.from_skill_id, relation.kind)
        if relation.from_skill_id == target.pk or key in existing:
            relation.delete()
        else:
            existing.add(key)
            relation.to_skill = target
            relation.save(update_fields=["to_skill"])


@transaction.atomic
def skill_deprecate(*, skill: Skill, steward) -> Skill:
    """Hide a skill from new choices; everyone who holds it keeps it."""
    skill = Skill.objects.select_for_update().get(pk=skill.pk)
    if skill.status == SkillStatus.MERGED:
        raise ValidationError("A merged skill cannot be deprecated")
    skill.status = SkillStatus.DEPRECATED
    skill.save(update_fields=["status", "updated_at"])
    taxonomy_changed()
    return skill


@transaction.atomic
def skill_reactivate(*, skill: Skill, steward) -> Skill:
    skill = Skill.objects.select_for_update().get(pk=skill.pk)
    if skill.status != SkillStatus.DEPRECATED:
        raise ValidationError("Only a deprecated skill can be made active again")
    skill.status = SkillStatus.ACTIVE
    skill.save(update_fields=["status", "updated_at"])
    taxonomy_changed()
    return skill


# --- the qualification-to-skills table (DESIGN 9) ---------------------------------
# A person's qualifications propose the skills this table maps them to (the drafting
# run reads it through ``selectors.qualification_skills``). Stewards keep it here,
# on its page and by import; only active skills may be mapped.

QUALIFICATION_MAX = 255


def clean_qualification(name) -> str:
    """The qualification's name as it is shown: trimmed, inner spaces collapsed.
    Raises ValidationError keyed ``qualification``."""
    cleaned = " ".join(str(name or "").split())
    if not cleaned:
        raise ValidationError({"qualification": "Enter the name of the qualification"})
    if len(cleaned) > QUALIFICATION_MAX:
        raise ValidationError(
            {"qualification": f"The qualification must be {QUALIFICATION_MAX} characters or fewer"}
        )
    from matching.normaliser import normalise

    if not normalise(cleaned):
        raise ValidationError(
            {"qualification": "Enter the qualification's name in letters or numbers"}
        )
    return cleaned


def _clean_level(value) -> int:
    try:
        return vocabulary.level(value)
    except vocabulary.VocabularyError as exc:
        raise ValidationError({"level": exc.message}) from None


def mappable_skill_problem(skill: Skill) -> str:
    """Why ``skill`` cannot be mapped, or "" when it can (it is active)."""
    if skill.status == SkillStatus.MERGED:
        return (
            f"“{skill.name}” has been merged into another skill: choose the skill it "
            "was merged into"
        )
    if skill.status == SkillStatus.DEPRECATED:
        return f"“{skill.name}” is deprecated: choose another skill"
    return ""


def _lock_mappable(skill: Skill) -> Skill:
    """The skill, locked against a concurrent merge or deprecation until the
    transaction ends, if it may be mapped; ValidationError keyed ``skill`` if not."""
    locked = Skill.objects.select_for_update().filter(pk=skill.pk).first()
    if locked is None:
        raise ValidationError({"skill": "That skill is no longer in the taxonomy"})
    if problem := mappable_skill_problem(locked):
        raise ValidationError({"skill": problem})
    return locked


@transaction.atomic
def qualification_skill_add(*, steward, qualification, skill: Skill, level) -> QualificationSkill:
    """Map a qualification to a skill at a level. The same qualification (any case
    or punctuation) mapped to the same skill twice is refused: change its level."""
    name = clean_qualification(qualification)
    level = _clean_level(level)
    skill = _lock_mappable(skill)
    row = QualificationSkill(qualification=name, skill=skill, level=level)
    existing = QualificationSkill.objects.filter(skill=skill, key=_key(name)).first()
    if existing is not None:
        raise ValidationError(
            {
                "qualification": f"“{existing.qualification}” already shows “{skill.name}” "
                f"at level {existing.level}: change its level instead"
            }
        )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Someone added the same mapping between the check and the insert.
        raise ValidationError(
            {"qualification": f"This qualification already shows “{skill.name}”"}
        ) from None
    _audit_mapping(steward, "add", row, level_after=row.level)
    return row


def _audit_mapping(steward, op: str, row: QualificationSkill, **levels) -> None:
    """The audit row of one change to the qualification table: which qualification
    (its key: the name of a qualification, not of anyone holding it), which skill,
    the level before and/or after. The table holds no personal data. A remove is
    recorded before the delete, while the row still has its id."""
    record_event(
        actor=steward,
        action=Action.QUALIFICATION_MAP,
        object_type="qualification_skill",
        object_id=row.pk,
        parameters={
            "op": op,
            "qualification": row.key,
            "skill": row.skill.uri,
            "skill_name": row.skill.name,
            **levels,
        },
    )


def _key(name: str) -> str:
    from matching.normaliser import normalise

    return normalise(name)


@transaction.atomic
def qualification_skill_set_level(
    *, steward, mapping_id: int, version: int, level
) -> QualificationSkill:
    """Change a mapping's level; ConflictError if it changed (or went) since it was
    read at ``version``."""
    level = _clean_level(level)
    row = locked_for_edit(QualificationSkill.objects.all(), mapping_id, version)
    if row.level != level:
        before, row.level = row.level, level
        save_new_version(row, ["level"])
        _audit_mapping(steward, "level", row, level_before=before, level_after=level)
    return row


@transaction.atomic
def qualification_skill_remove(*, steward, mapping_id: int, version: int) -> QualificationSkill:
    """Remove a mapping; ConflictError if it changed (or went) since it was read at
    ``version``. Skills already drafted from it stay drafts until the next run."""
    row = locked_for_edit(QualificationSkill.objects.all(), mapping_id, version)
    _audit_mapping(steward, "remove", row, level_before=row.level)
    row.delete()
    return row


def qualification_skills_upsert(rows) -> Counts:
    """The import's write: ``rows`` are (qualification, skill id, level). A mapping
    already held is updated when its level differs (and its name is left as first
    spelt); mappings not in ``rows`` are left alone. The caller holds the
    transaction and has locked the skills (``selectors.active_skill_count``)."""
    counts = Counts()
    keyed = {(_key(name), skill_id): (name, level) for name, skill_id, level in rows}
    held = {
        (row.key, row.skill_id): row
        for row in QualificationSkill.objects.select_for_update().filter(
            key__in={key for key, _ in keyed}
        )
    }
    new = []
    for (key, skill_id), (name, level) in keyed.items():
        row = held.get((key, skill_id))
        if row is None:
            new.append(
                QualificationSkill(qualification=name, key=key, skill_id=skill_id, level=level)
            )
        elif row.level != level:
            row.level = level
            save_new_version(row, ["level"])
            counts.updated += 1
        else:
            counts.unchanged += 1
    # bulk_create skips save(), so ``key`` is set above from the same normaliser.
    QualificationSkill.objects.bulk_create(new)
    counts.created = len(new)
    return counts
