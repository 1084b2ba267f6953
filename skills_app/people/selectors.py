"""Reads behind the self-service profile pages and the people API.

Everything here is scoped to one person: the pages only ever look up rows that
belong to ``request.user.person``, so a row id from someone else's profile is
simply "not found".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from rapidfuzz import fuzz, process, utils

from matching import rules
from skills_app.accounts.permissions import ROLE_LABELS, Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import (
    DraftRejection,
    OrgUnit,
    OrgUnitKind,
    Person,
    PersonSkill,
    Qualification,
    RoleHistory,
)
from skills_app.roles.models import RoleProfile
from taxonomy.models import LEVEL_NAMES, ProficiencyLevel, Skill, SkillKind, SkillStatus

EXPIRY_WARNING_DAYS = 90
# token_sort_ratio over lower-cased titles: "Snr data analyst" ~ "Senior data analyst"
# (91), but "Data analyst" does not pass for "Senior data analyst" (77).
ROLE_MATCH_CUTOFF = 85.0


def person_for_user(*, user) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Person.objects.select_related("org_unit", "line_manager")
        .prefetch_related(
            Prefetch(
                "skills",
                # Drafts wait on their own page ("Check your draft skills") until confirmed.
                queryset=PersonSkill.objects.confirmed()
                .select_related("skill")
                .order_by("skill__name", "pk"),
            ),
            Prefetch(
                "role_history",
                queryset=RoleHistory.objects.select_related("role_profile").order_by(
                    "-start", "pk"
                ),
            ),
            Prefetch("qualifications", queryset=Qualification.objects.order_by("name", "pk")),
        )
        .filter(user=user)
        .first()
    )


def person_id_for_user(*, user) -> int | None:
    """The id of the user's own staff record, without loading it."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).values_list("pk", flat=True).first()


def person_id_for_public_id(public_id) -> int | None:
    """The primary key behind a public id from a URL (None when no one has it): pages
    name people by ``Person.public_id``, the index and services by primary key."""
    return Person.objects.filter(public_id=public_id).values_list("pk", flat=True).first()


# --- one row of my own ---------------------------------------------------------------


def my_person_skill(*, person: Person, pk: int) -> PersonSkill:
    """One of the person's confirmed skills. Drafts are not: they are confirmed,
    changed or rejected on "Check your draft skills" (people.drafts)."""
    row = (
        PersonSkill.objects.confirmed()
        .select_related("skill", "queried_by", "verified_by")
        .filter(person=person, pk=pk)
        .first()
    )
    if row is None:
        raise Http404("No such skill on your profile")
    return row


def my_role(*, person: Person, pk: int) -> RoleHistory:
    row = RoleHistory.objects.select_related("role_profile").filter(person=person, pk=pk).first()
    if row is None:
        raise Http404("No such role on your profile")
    return row


def my_qualification(*, person: Person, pk: int) -> Qualification:
    row = Qualification.objects.filter(person=person, pk=pk).first()
    if row is None:
        raise Http404("No such qualification on your profile")
    return row


# --- profile sections ------------------------------------------------------------------


def is_language(ps: PersonSkill) -> bool:
    return ps.skill.kind == SkillKind.LANGUAGE


def split_skills(person: Person) -> tuple[list[PersonSkill], list[PersonSkill]]:
    """(skills, languages) from the prefetched ``person.skills``."""
    skills, languages = [], []
    for ps in person.skills.all():
        (languages if is_language(ps) else skills).append(ps)
    return skills, languages


def review_day(reviewed_at: dt.datetime | None) -> dt.date | None:
    """The local day a profile was last reviewed on (rule 10 goes by days)."""
    return timezone.localdate(reviewed_at) if reviewed_at is not None else None


def review_due(person: Person, *, now: dt.datetime | None = None) -> bool:
    """Rule 10's "not reviewed for 12 months" (``rules.profile_stale``): never
    reviewed, or last on or before the anniversary."""
    today = timezone.localdate(now or timezone.now())
    return rules.profile_stale(review_day(person.profile_reviewed_at), today)


def fresh_reviews_since(today: dt.date) -> dt.datetime:
    """The first moment a review counts as fresh on ``today``: a profile is stale
    when it was never reviewed or reviewed before this (for queries)."""
    first_fresh_day = rules.stale_review_cutoff(today) + dt.timedelta(days=1)
    return dt.datetime.combine(first_fresh_day, dt.time(0), tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class ExpiryStatus:
    expired: bool
    expiring_soon: bool
    days_left: int | None


def qualification_expiry(q: Qualification, *, today: dt.date | None = None) -> ExpiryStatus:
    if q.expires is None:
        return ExpiryStatus(False, False, None)
    today = today or timezone.localdate()
    days = (q.expires - today).days
    return ExpiryStatus(days < 0, 0 <= days <= EXPIRY_WARNING_DAYS, days)


def level_descriptors(skill: Skill | None) -> list[dict]:
    """What each level means for ``skill``: its own descriptors where the
    framework has them (DDaT), the generic scale otherwise."""
    generic = {p.level: p for p in ProficiencyLevel.objects.all()}
    own = {}
    if skill is not None:
        own = dict(skill.level_descriptors.values_list("level", "description"))
    out = []
    for level, name in LEVEL_NAMES.items():
        if level in own:
            out.append({"level": level, "name": name, "description": own[level], "own": True})
        else:
            p = generic.get(level)
            out.append(
                {
                    "level": level,
                    "name": p.name if p else name,
                    "description": p.description if p else "",
                    "own": False,
                }
            )
    return out


def skill_has_own_descriptors(skill: Skill | None) -> bool:
    return skill is not None and skill.level_descriptors.exists()


def language_skills() -> QuerySet[Skill]:
    return Skill.objects.filter(kind=SkillKind.LANGUAGE, status=SkillStatus.ACTIVE).order_by("name")


def known_locations(*, limit: int = 60) -> list[str]:
    """Locations that exist in the staff records, for the preferences checkboxes.
    A serving process reads them from its workforce index (which holds every
    person's location) rather than scanning every person on each page."""
    from skills_app.index.adapter import current_index, index_ready

    if index_ready():
        return sorted(x for x in set(current_index().locations) if x)[:limit]
    rows = (
        Person.objects.exclude(location="")
        .values_list("location", flat=True)
        .distinct()
        .order_by("location")[:limit]
    )
    return list(rows)


def role_match(title: str) -> RoleProfile | None:
    """The role-library profile whose title is closest to ``title``, if it is
    close enough to offer ("Is this the ‘Senior data analyst’ role?")."""
    title = " ".join((title or "").split())
    if not title:
        return None
    exact = RoleProfile.objects.filter(title__iexact=title).order_by("pk").first()
    if exact is not None:
        return exact
    titles = dict(RoleProfile.objects.values_list("pk", "title"))
    if not titles:
        return None
    found = process.extractOne(
        title,
        titles,
        scorer=fuzz.token_sort_ratio,
        processor=utils.default_process,
        score_cutoff=ROLE_MATCH_CUTOFF,
    )
    if found is None:
        return None
    _title, _score, pk = found
    return RoleProfile.objects.filter(pk=pk).first()


# --- who viewed me -------------------------------------------------------------------


def action_label(action: str) -> str:
    labels = dict(Action.choices)
    return labels.get(action) or action.replace("_", " ")


def actor_role_names(user) -> list[str]:
    """Role names of an event's actor, from prefetched groups (no per-row query)."""
    if user is None:
        return []
    names = {g.name for g in user.groups.all()}
    roles = [role for role in Role if role.value in names]
    if user.is_superuser and Role.ADMIN not in roles:
        roles.append(Role.ADMIN)
    return [ROLE_LABELS[role] for role in roles]


def access_events_about(*, person: Person) -> QuerySet[AccessEvent]:
    return (
        AccessEvent.objects.filter(subject=person)
        .select_related("actor", "actor__person")
        .prefetch_related("actor__groups")
        .order_by("-at", "-id")
    )


def actor_name(event: AccessEvent) -> str:
    """Who did it, as the person would know them: the name on the actor's staff
    record, else the account's name, else the username recorded at the time."""
    actor = event.actor
    if actor is None:
        return "Muster (automatic)" if event.actor_label == "system" else event.actor_label
    person = getattr(actor, "person", None)
    if person is not None:
        return person.full_name
    return actor.get_full_name() or event.actor_label


_EXPORTS = {
    "allocations": "the allocations download",
    "releases": "the release list download",
    "skills-inventory": "the skills inventory export",
}
_IMPORT_KINDS = {
    "people": "people",
    "person-skills": "person skills",
    "role-history": "role history",
}


def _scenario(parameters: dict) -> str:
    name = parameters.get("scenario_name")
    return f"surge scenario “{name}”" if name else "a surge scenario"


def event_what(event: AccessEvent) -> str:
    """What the actor saw or did, in a sentence addressed to the person: which page,
    which export, which import. Built from the row's summary parameters."""
    action, p = event.action, event.parameters or {}
    role = p.get("role")
    if action == Action.VIEW_PROFILE:
        return "Opened your profile" + (" through the API" if p.get("page") == "api" else "")
    if action == Action.VIEW_EXPLANATION:
        return f"Opened why you match role {role}" if role else "Opened why you match a role"
    if action == Action.SEARCH:
        if p.get("page") == "team":
            return "Listed you on their team page"
        if p.get("report") == "capability":
            return "Listed you in a capability report's list of people"
        if role:
            return f"Found you in a search for role {role}"
        return "Found you in a search by name or staff number"
    if action == Action.VIEW_SCENARIO:
        where = " through the API" if p.get("page") == "api" else ""
        return f"Viewed the allocations of {_scenario(p)}{where}"
    if action == Action.EXPORT:
        what = _EXPORTS.get(p.get("export") or p.get("report"), "an export")
        if p.get("scenario"):
            return f"Included you in {what} of {_scenario(p)}"
        return f"Included you in {what}"
    if action == Action.ALLOCATE:
        change = p.get("change")
        return (
            "Approved your allocation to surge work"
            if change == "approved"
            else ("Allocated you to surge work")
        )
    if action == Action.VERIFY:
        return "Verified one of your skills"
    if action == Action.EDIT_PROFILE:
        if p.get("via") == "import":
            kind = _IMPORT_KINDS.get(p.get("kind"), "HR data")
            return f"Changed your record with an HR import of {kind}"
        what = p.get("what")
        if what == "verification undone":
            return "Undid the verification of one of your skills"
        if what == "skill query":
            return "Asked a question about one of your skills"
        if what == "protected":
            return (
                "Marked you as in a critical role (not to be released)"
                if p.get("protected")
                else "Removed your critical-role mark"
            )
        if p.get("change") == "left_on":
            return (
                "Recorded the date you leave the department"
                if p.get("left_on")
                else "Cleared your leaving date"
            )
        if p.get("change") == "anonymised":
            return "Anonymised your record under the retention policy"
        if what == "skills":
            return "Changed your skills"
        return "Changed your record"
    return action_label(action)


def describe_event(event: AccessEvent) -> dict:
    return {
        "at": event.at,
        "who": actor_name(event),
        "roles": actor_role_names(event.actor),
        "action": event.action,
        "what": event_what(event),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "parameters": event.parameters,
    }


# --- everything held about me ------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _person_skill_data(ps: PersonSkill) -> dict:
    return {
        "skill": {
            "id": ps.skill_id,
            "name": ps.skill.name,
            "uri": ps.skill.uri,
            "kind": ps.skill.kind,
        },
        "level": ps.level,
        "level_name": LEVEL_NAMES.get(ps.level, ""),
        "last_used": _iso(ps.last_used),
        "evidence": ps.evidence,
        "evidence_label": ps.get_evidence_display(),
        "verified_at": _iso(ps.verified_at),
        "verified_by": ps.verified_by.get_username() if ps.verified_by_id else None,
        "query": (
            {
                "asked_at": _iso(ps.queried_at),
                "asked_by": ps.queried_by.get_username() if ps.queried_by_id else None,
                "question": ps.query_note,
            }
            if ps.queried_at or ps.query_note
            else None
        ),
        "note": ps.note,
        # A draft (evidence "inferred") says where it came from (DESIGN 9).
        "draft_source": ps.source or None,
        "draft_sources": ps.sources or [],
        "updated_at": _iso(ps.updated_at),
    }


def person_data(*, person: Person) -> dict:
    """Everything Muster holds about one person, as plain data: the JSON
    download and the printable page both render this."""
    skills = list(
        PersonSkill.objects.filter(person=person)
        .select_related("skill", "verified_by", "queried_by")
        .order_by("skill__name", "pk")
    )
    roles = list(
        RoleHistory.objects.filter(person=person)
        .select_related("role_profile")
        .order_by("-start", "pk")
    )
    quals = list(Qualification.objects.filter(person=person).order_by("name", "pk"))
    events = [describe_event(e) for e in access_events_about(person=person)]
    manager = person.line_manager
    return {
        "generated_at": timezone.now().isoformat(),
        "person": {
            "staff_number": person.staff_number,
            "full_name": person.full_name,
            "work_email": person.work_email,
            "grade": person.grade,
            "grade_label": person.get_grade_display(),
            "org_unit": person.org_unit.path,
            "line_manager": (
                {"staff_number": manager.staff_number, "full_name": manager.full_name}
                if manager
                else None
            ),
            "location": person.location,
            "weekly_hours": float(person.weekly_hours),
            "clearance": person.get_clearance_display(),
            "redeployable": person.redeployable,
            "protected": person.protected,
            "available_from": _iso(person.available_from),
            "preferred_locations": list(person.preferred_locations or []),
            "profile_reviewed_at": _iso(person.profile_reviewed_at),
            "account": person.user.get_username() if person.user_id else None,
            "created_at": _iso(person.created_at),
            "updated_at": _iso(person.updated_at),
        },
        "skills": [_person_skill_data(ps) for ps in skills if not is_language(ps)],
        "languages": [_person_skill_data(ps) for ps in skills if is_language(ps)],
        "role_history": [
            {
                "title": r.title,
                "role_profile": (
                    {"code": r.role_profile.code, "title": r.role_profile.title}
                    if r.role_profile_id
                    else None
                ),
                "start": _iso(r.start),
                "end": _iso(r.end),
            }
            for r in roles
        ],
        "qualifications": [
            {
                "name": q.name,
                "issuer": q.issuer,
                "awarded": _iso(q.awarded),
                "expires": _iso(q.expires),
            }
            for q in quals
        ],
        "rejected_drafts": [
            {"skill": {"id": r.skill_id, "name": r.skill.name}, "rejected_at": _iso(r.rejected_at)}
            for r in DraftRejection.objects.filter(person=person)
            .select_related("skill")
            .order_by("skill__name")
        ],
        "access_events": [
            {
                "at": _iso(e["at"]),
                "who": e["who"],
                "roles": e["roles"],
                "action": e["action"],
                "what": e["what"],
                "object_type": e["object_type"],
                "object_id": e["object_id"],
                "parameters": e["parameters"],
            }
            for e in events
        ],
    }


# --- naming the organisation's levels ------------------------------------------------------


def org_level_names(*, include: int | None = None) -> dict[int, str]:
    """{depth: what the units at that depth are called}, the one naming of organisation
    levels on every page (surge caps, report roll-ups): the top is always "Department",
    then the kinds the tree's units actually have ("Directorate", "Division", "Team"),
    from ``OrgUnit.kind``. A level holding
    several kinds names the commonest first ("Division or team"). ``include`` adds a
    depth no unit sits at (a saved choice the tree has since lost)."""
    kinds: dict[int, dict[str, int]] = {}
    for depth, kind in OrgUnit.objects.order_by().values_list("depth", "kind"):
        counts = kinds.setdefault(depth, {})
        counts[kind] = counts.get(kind, 0) + 1
    names = {}
    for depth, counts in sorted(kinds.items()):
        ordered = sorted(counts, key=lambda k: (-counts[k], k))
        labels = [OrgUnitKind(k).label if k in OrgUnitKind.values else k for k in ordered]
        names[depth] = (
            OrgUnitKind.DEPARTMENT.label
            if depth == 0
            else " or ".join([labels[0], *(label.lower() for label in labels[1:])])
        )
    if include is not None and include not in names:
        names[include] = f"Level {include} (no units at this level)"
    return names


def org_level_choices(
    *, include: int | None = None, depths=None, examples: bool = True
) -> list[tuple[int, str]]:
    """[(depth, label)] for a choice of organisation level, labelled by
    ``org_level_names``: "Department (Dept)" when one unit is the level,
    "Team (for example Other and Team)" otherwise. ``depths`` keeps only those."""
    names = org_level_names(include=include)
    wanted = sorted(names if depths is None else set(depths) & set(names))
    out = []
    for depth in wanted:
        label = names[depth]
        if examples:
            units = list(
                OrgUnit.objects.filter(depth=depth)
                .order_by("path")
                .values_list("name", flat=True)[:3]
            )
            if len(units) == 1:
                label += f" ({units[0]})"
            elif units:
                label += " (for example " + " and ".join(units[:2]) + ")"
        out.append((depth, label))
    return out
