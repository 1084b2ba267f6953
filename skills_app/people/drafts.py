"""Draft skills (DESIGN 9): the one write path for proposing, confirming,
re-levelling and rejecting them for one person.

What a run may write is decided by ``matching.drafting`` (the rules' one
home); this module reads the profile, writes the plan, audits it against the
person and declares the change to the matching index. The bulk run for everyone
(``people.bulk_services``) applies the same plan set-based.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from matching.drafting import Held, Plan, Source, combine, plan
from skills_app.audit.models import Action
from skills_app.audit.services import record_event
from skills_app.core.concurrency import ConflictError, locked_for_edit, save_new_version
from skills_app.index.changes import workforce_changed
from skills_app.people.models import (
    ChangeScope,
    DraftRejection,
    EvidenceKind,
    Person,
    PersonSkill,
)
from skills_app.people.services import _lock_skill_for_use


def held_skills(person: Person, *, for_update: bool = False) -> dict[int, Held]:
    rows = PersonSkill.objects.filter(person=person)
    if for_update:
        rows = rows.select_for_update()
    return {
        ps.skill_id: Held(
            evidence=ps.evidence,
            level=ps.level,
            last_used=ps.last_used,
            sources=tuple(Source.from_json(s) for s in ps.sources or ()),
        )
        for ps in rows
    }


def rejected_skills(person: Person) -> set[int]:
    return set(DraftRejection.objects.filter(person=person).values_list("skill_id", flat=True))


@dataclass(frozen=True)
class DraftCounts:
    created: int
    updated: int
    withdrawn: int
    unchanged: int
    skipped_rejected: int
    skipped_confirmed: int

    @classmethod
    def of(cls, decided: Plan) -> DraftCounts:
        return cls(
            created=len(decided.create),
            updated=len(decided.update),
            withdrawn=len(decided.withdraw),
            unchanged=decided.unchanged,
            skipped_rejected=decided.skipped_rejected,
            skipped_confirmed=decided.skipped_confirmed,
        )

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.withdrawn)


@transaction.atomic
def draft_person(
    *, actor, person: Person, offers: Iterable[tuple[int, Source]], kinds: Iterable[str]
) -> DraftCounts:
    """Propose ``offers`` (skill id, source) as drafts on ``person``'s profile, for
    a run that looked at sources of ``kinds``. Idempotent: the same offers again
    change nothing."""
    kinds = frozenset(kinds)
    locked = Person.objects.select_for_update().get(pk=person.pk)
    proposals = combine(offers)
    for skill_id in sorted(proposals):
        _lock_skill_for_use(skill_id)
    decided = plan(
        proposals, held_skills(locked, for_update=True), rejected_skills(locked), kinds=kinds
    )
    existing = {ps.skill_id: ps for ps in PersonSkill.objects.filter(person=locked).drafts()}
    PersonSkill.objects.bulk_create(
        PersonSkill(
            person=locked,
            skill_id=p.skill_id,
            level=p.level,
            last_used=p.last_used,
            evidence=EvidenceKind.INFERRED,
            source=p.source,
            sources=[s.to_json() for s in p.sources],
        )
        for p in decided.create
    )
    for p in decided.update:
        row = existing[p.skill_id]
        row.level, row.last_used, row.source = p.level, p.last_used, p.source
        row.sources = [s.to_json() for s in p.sources]
        save_new_version(row, ["level", "last_used", "source", "sources"])
    if decided.withdraw:
        PersonSkill.objects.filter(person=locked, skill_id__in=decided.withdraw).drafts().delete()
    counts = DraftCounts.of(decided)
    if counts.changed:
        save_new_version(locked, [])
        workforce_changed(ChangeScope.PERSON, [locked.pk])
        record_event(
            actor=actor,
            action=Action.DRAFT,
            object_type="person",
            object_id=locked.pk,
            subject=locked,
            parameters={
                "kinds": sorted(kinds),
                "created": counts.created,
                "updated": counts.updated,
                "withdrawn": counts.withdrawn,
            },
        )
    return counts


def _locked_draft(person: Person, person_skill_id: int, expected_version: int) -> PersonSkill:
    row = locked_for_edit(
        PersonSkill.objects.filter(person=person).drafts().select_related("skill"),
        person_skill_id,
        expected_version,
    )
    return row


def _audit_decision(actor, person: Person, row: PersonSkill, decision: str, **extra) -> None:
    record_event(
        actor=actor,
        action=Action.EDIT_PROFILE,
        object_type="person",
        object_id=person.pk,
        subject=person,
        parameters={"what": "draft", "decision": decision, "skill": row.skill_id, **extra},
    )


@transaction.atomic
def draft_confirm(
    *,
    actor,
    person: Person,
    person_skill_id: int,
    expected_version: int,
    level: int | None = None,
) -> PersonSkill:
    """The person confirms a draft, at its level or at the one they choose: it
    becomes a self-assessed skill that counts, and keeps its sources."""
    row = _locked_draft(person, person_skill_id, expected_version)
    if level is not None and not 1 <= int(level) <= 4:
        raise ValidationError({"level": "Choose a level from 1 to 4"})
    proposed = row.level
    row.evidence = EvidenceKind.SELF
    if level is not None:
        row.level = int(level)
    save_new_version(row, ["evidence", "level"])
    _audit_decision(
        actor,
        person,
        row,
        "confirmed" if row.level == proposed else "changed",
        proposed_level=proposed,
        level=row.level,
    )
    return row


@transaction.atomic
def draft_reject(*, actor, person: Person, person_skill_id: int, expected_version: int) -> None:
    """The person says they do not hold it: the draft goes, and the rejection is
    remembered so no run proposes it again."""
    row = _locked_draft(person, person_skill_id, expected_version)
    DraftRejection.objects.get_or_create(person=person, skill_id=row.skill_id)
    row.delete()
    workforce_changed(ChangeScope.PERSON, [person.pk])
    _audit_decision(actor, person, row, "rejected")


@transaction.atomic
def draft_confirm_all(
    *, actor, person: Person, versions: dict[int, int]
) -> tuple[list[PersonSkill], list[int]]:
    """Confirm every draft in ``versions`` ({draft id: the version the person saw})
    at its proposed level: (the rows confirmed, the ids left alone because they
    changed or went since the person looked). Each is audited as one decision."""
    confirmed, stale = [], []
    for pk in sorted(versions):
        try:
            confirmed.append(
                draft_confirm(
                    actor=actor, person=person, person_skill_id=pk, expected_version=versions[pk]
                )
            )
        except ConflictError:
            stale.append(pk)
    return confirmed, stale
