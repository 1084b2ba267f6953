"""The engine's fast paths give the same answers as the plain rules.

Caches (per-day columns, filter masks, role indexes), the patch of changed
people, the histogram cut before sorting and the page-at-once explanations are
each checked against a direct computation.
"""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching.engine as engine
from matching import rules
from matching.engine import (
    CURRENT,
    Filters,
    Relation,
    Requirement,
    RoleLibrary,
    RoleSpell,
    SkillColumns,
    SpellTable,
    recency_factor,
)
from tests.matching.test_engine import AS_OF, DAY, N_SKILLS, build, rank, years_ago

RELATIONS = {1: [Relation(0, 0.8), Relation(3, 0.5)], 2: [Relation(3, 0.5)]}

used = st.sampled_from([0, 0, years_ago(1), years_ago(3), years_ago(5.5), years_ago(12)])
evidence = st.sampled_from(["self", "manager_verified", "assessed", "certified"])
holdings = st.lists(
    st.dictionaries(
        st.integers(0, N_SKILLS - 1),
        st.tuples(st.integers(1, 4), used, evidence),
        max_size=N_SKILLS,
    ),
    min_size=1,
    max_size=30,
)
requirement_lists = st.lists(
    st.builds(
        Requirement,
        skill=st.integers(0, N_SKILLS - 1),
        level=st.integers(1, 4),
        weight=st.sampled_from([0.5, 1.0, 1.0, 2.0, 3.0]),
        essential=st.booleans(),
    ),
    min_size=1,
    max_size=6,
)


def columns_for(held, n_people=None):
    person, skill, level, last_used, ev = [], [], [], [], []
    for p, skills in enumerate(held):
        for s, (lvl, when, e) in skills.items():
            person.append(p)
            skill.append(s)
            level.append(lvl)
            last_used.append(when)
            ev.append(engine.EVIDENCE_CODES[e])
    return SkillColumns.from_triples(
        n_people=len(held) if n_people is None else n_people,
        n_skills=N_SKILLS,
        person=person,
        skill=skill,
        level=level,
        last_used=last_used,
        evidence=ev,
    )


def test_recency_table_is_the_formula_for_every_day_count():
    last_used = np.arange(DAY - 5000, DAY + 400, dtype=np.int32)
    last_used = last_used[last_used != CURRENT]
    assert np.array_equal(engine._recency_by_days(last_used, DAY), recency_factor(last_used, DAY))


# --- the patch: bitwise the same score in the base or in a patch -----------------------


@settings(max_examples=80, deadline=None)
@given(holdings, holdings, requirement_lists, st.data())
def test_a_patched_person_scores_bitwise_as_if_built_in(before, after, reqs, data):
    n = min(len(before), len(after))
    before, after = before[:n], after[:n]
    changed = sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1)))
    now = [after[p] if p in changed else before[p] for p in range(n)]
    patched = build([{s: v for s, v in h.items()} for h in before], relations=RELATIONS)
    patched.patch(np.array(changed), columns_for([after[p] for p in changed]))
    fresh = build(now, relations=RELATIONS)

    score, essentials = patched.scores(reqs, DAY)
    expected_score, expected_essentials = fresh.scores(reqs, DAY)
    assert np.array_equal(score, expected_score)  # bitwise, not approximately
    assert np.array_equal(essentials, expected_essentials)
    for r in reqs:
        assert np.array_equal(patched.effective_levels(r, DAY), fresh.effective_levels(r, DAY))
    some = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1)))), dtype=np.int64)
    for r in reqs:
        assert np.array_equal(
            patched.effective_levels_at(r, DAY, some), fresh.effective_levels(r, DAY)[some]
        )
    assert held_now(patched) == held_now(fresh)

    a = rank(patched, reqs, limit=n)
    b = rank(fresh, reqs, limit=n)
    assert a.total == b.total
    assert [(m.person, m.score, m.meets_essentials, m.confidence) for m in a.matches] == [
        (m.person, m.score, m.meets_essentials, m.confidence) for m in b.matches
    ]
    assert [m.requirements for m in a.matches] == [m.requirements for m in b.matches]


def held_now(workforce) -> list[tuple[int, int, int, int]]:
    """(person, skill, level, evidence) for every skill held, from ``skill_parts``."""
    held = []
    for rows, level, evidence, indptr, keep in workforce.skill_parts():
        skill = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        counted = np.ones(len(rows), dtype=bool) if keep is None else keep
        held += zip(
            rows[counted].tolist(),
            skill[counted].tolist(),
            level[counted].tolist(),
            evidence[counted].tolist(),
            strict=True,
        )
    return sorted(held)


# --- the page: explained at once, exactly as one by one ----------------------------------


@settings(max_examples=80, deadline=None)
@given(holdings, requirement_lists)
def test_page_explanations_and_essentials_match_the_single_person_rules(held, reqs):
    wf = build(held, relations=RELATIONS)
    _, essentials = wf.scores(reqs, DAY)
    for match in rank(wf, reqs, limit=len(held)).matches:
        assert match.requirements == tuple(wf.explain(match.person, r, DAY) for r in reqs)
        assert match.meets_essentials == bool(essentials[match.person])
        for explanation in match.requirements:
            effective = wf.effective_levels(
                Requirement(explanation.skill, explanation.required_level), DAY
            )[match.person]
            assert explanation.effective_level == effective  # the same arithmetic


# --- the order: the histogram cut gives the full sort's first page -------------------------


@settings(max_examples=80, deadline=None)
@given(holdings, requirement_lists, st.integers(1, 8), st.integers(0, 5), st.integers(1, 3))
def test_histogram_cut_equals_a_full_sort(held, reqs, k, offset, bins):
    wf = build(held, relations=RELATIONS)
    full = rank(wf, reqs, limit=len(held))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "SORT_DIRECTLY", 0)
        mp.setattr(engine, "RANK_BINS", bins)  # coarse bins: many ties at the cut
        top = rank(wf, reqs, limit=k, offset=offset)
    assert top.total == full.total
    assert [m.person for m in top.matches] == [m.person for m in full.matches][offset : offset + k]


# --- caches ---------------------------------------------------------------------------------


def test_filter_masks_are_cached_until_people_change():
    wf = build([{0: 4}, {0: 4}, {0: 4}])
    reqs = [Requirement(0, 4)]
    assert [m.person for m in wf.rank(reqs, as_of=AS_OF).matches] == [0, 1, 2]
    mask = wf.filter_mask(Filters())
    assert wf.filter_mask(Filters()) is mask
    assert not mask.flags.writeable  # shared, so nobody may change it

    wf.people.protected[1] = True  # the adapter updates attributes in place
    wf.people_changed()
    assert [m.person for m in wf.rank(reqs, as_of=AS_OF).matches] == [0, 2]
    assert wf.filter_mask(Filters()) is not mask


def test_unit_filters_are_not_cached_but_still_apply():
    wf = build([{0: 4}, {0: 4}], org_unit=[0, 1])
    units = Filters(redeployable_only=False, org_units=np.array([False, True]))
    assert [m.person for m in rank(wf, [Requirement(0, 4)], filters=units).matches] == [1]
    assert wf.filter_mask(units) is not wf.filter_mask(units)


def test_people_changed_reorders_after_a_staff_number_changes():
    wf = build([{0: 4}, {0: 4}])
    assert [m.person for m in rank(wf, [Requirement(0, 4)]).matches] == [0, 1]
    wf.people.staff_number[0] = "S999"
    wf.people_changed()
    assert [m.person for m in rank(wf, [Requirement(0, 4)]).matches] == [1, 0]


def test_column_cache_keeps_days_apart_and_survives_eviction(monkeypatch):
    wf = build([{0: (4, years_ago(3), "self")}, {0: 4}])
    reqs = [Requirement(0, 4)]
    later = AS_OF + dt.timedelta(days=round(2 * 365.25))
    assert rank(wf, reqs).matches[1].score == pytest.approx(0.9, abs=1e-3)
    assert wf.rank(reqs, as_of=later, threshold=0).matches[1].score == pytest.approx(0.7, abs=1e-3)
    assert rank(wf, reqs).matches[1].score == pytest.approx(0.9, abs=1e-3)
    monkeypatch.setattr(engine, "COLUMN_CACHE_BYTES", 1)  # every entry evicted next time
    wf.skills.derived().clear()
    for _ in range(3):
        assert rank(wf, reqs).matches[1].score == pytest.approx(0.9, abs=1e-3)
        assert wf.rank(reqs, as_of=later, threshold=0).matches[1].score == pytest.approx(
            0.7, abs=1e-3
        )


def test_workforces_on_the_same_columns_share_the_day_cache():
    first = build([{0: 4}])
    second = engine.Workforce(skills=first.skills, people=first.people)
    first.scores([Requirement(0, 2)], DAY)
    assert second._base._cache is first._base._cache


def test_a_relation_change_is_seen_by_a_new_workforce_on_the_same_columns():
    wf = build([{0: 4}, {3: 4}], relations={1: [Relation(0, 0.8)]})
    reqs = [Requirement(1, 4)]
    assert [m.score for m in rank(wf, reqs).matches] == pytest.approx([0.8, 0.0])
    moved = engine.Workforce(skills=wf.skills, people=wf.people, relations={1: [Relation(3, 0.5)]})
    assert [(m.person, m.score) for m in rank(moved, reqs).matches] == [(1, 0.5), (0, 0.0)]


# --- prior roles from per-role arrays --------------------------------------------------------


def brute_force_prior_roles(library, query_reqs, as_of):
    """Rule 6 straight from the rules module, one spell at a time."""
    needs = [rules.Need(r.skill, r.level, r.weight) for r in query_reqs]
    day = dt.date.fromordinal(as_of)
    best = {}
    for order, spell in enumerate(library.spells):
        if spell.role is None:
            continue
        coverage = rules.coverage(library.levels[spell.role], needs)
        end = None if spell.end == CURRENT else dt.date.fromordinal(spell.end)
        if not rules.prior_role_counts(end, coverage, day):
            continue
        key = (coverage, dt.date.max if end is None else end, -order)
        if spell.person not in best or key > best[spell.person][0]:
            best[spell.person] = (key, (spell.title, spell.start, spell.end, coverage))
    return {person: value for person, (_, value) in best.items()}


spells = st.lists(
    st.builds(
        RoleSpell,
        person=st.integers(0, 5),
        role=st.sampled_from([None, 0, 1, 2, 3, 4]),
        title=st.sampled_from(["Analyst", "Developer", "Lead"]),
        end=st.sampled_from([0, years_ago(1), years_ago(2.9), years_ago(3.1), years_ago(1)]),
        start=st.sampled_from([0, years_ago(5)]),
    ),
    max_size=25,
)
LEVELS = {
    0: {0: 3, 1: 3},
    1: {0: 3, 1: 3},  # the same profile as 0: equal coverage, ties by end then list
    2: {0: 2, 1: 4, 2: 1},
    3: {4: 2},
    4: {0: 4, 1: 4, 2: 4, 3: 4, 4: 4},  # senior to everything: covers every role
}


@settings(max_examples=200, deadline=None)
@given(spells, requirement_lists)
def test_prior_roles_equal_the_rule_applied_spell_by_spell(history, reqs):
    wf = build([{}] * 6, roles=RoleLibrary(levels=LEVELS, spells=history))
    found = wf.prior_roles(reqs, DAY)
    expected = brute_force_prior_roles(wf.roles, reqs, DAY)
    got = {p: (r.title, r.start, r.end, r.coverage) for p, r in found.items()}
    assert got.keys() == expected.keys()
    for person, (title, start, end, coverage) in expected.items():
        assert got[person][:3] == (title, start, end)
        assert got[person][3] == pytest.approx(coverage, abs=1e-12)
    assert len(found) == len(expected)
    for person in range(7):
        assert (person in found) == (person in expected)


def test_role_library_notices_new_spells_and_can_be_told_of_edits():
    library = RoleLibrary(levels={0: {0: 3}}, spells=[])
    wf = build([{0: 1}, {0: 1}], roles=library)
    reqs = [Requirement(0, 3)]
    assert len(wf.prior_roles(reqs, DAY)) == 0
    library.spells = library.spells.extended([RoleSpell(person=1, role=0, title="Analyst", end=0)])
    assert list(wf.prior_roles(reqs, DAY)) == [1]
    # Replaced by a table of the same length: only changed() tells the library.
    library.spells = SpellTable.from_spells([RoleSpell(person=0, role=0, title="Analyst", end=0)])
    assert list(wf.prior_roles(reqs, DAY)) == [1]
    library.changed()
    assert list(wf.prior_roles(reqs, DAY)) == [0]


def test_coverages_only_visit_roles_sharing_a_skill_but_agree_with_the_rule():
    levels = {r: {r % 5: 1 + r % 4, (r * 3) % 5: 2} for r in range(20)}
    library = RoleLibrary(levels=levels, spells=[])
    reqs = [Requirement(1, 3, 2.0), Requirement(4, 2, 1.0)]
    needs = [rules.Need(r.skill, r.level, r.weight) for r in reqs]
    expected = {
        role: rules.coverage(required, needs)
        for role, required in levels.items()
        if required.keys() & {1, 4}
    }
    assert library.coverages(reqs) == pytest.approx(expected)
    assert list(library.coverages(reqs)) == list(expected)  # in the library's order


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, N_SKILLS - 1), st.integers(1, 4)),
        max_size=40,
    )
)
def test_columns_are_sorted_by_skill_then_person_keeping_input_order(triples):
    person = [p for p, _, _ in triples]
    skill = [s for _, s, _ in triples]
    level = [lv for _, _, lv in triples]
    columns = SkillColumns.from_triples(
        n_people=10, n_skills=N_SKILLS, person=person, skill=skill, level=level
    )
    order = np.lexsort((np.array(person, dtype=np.int64), np.array(skill, dtype=np.int64)))
    assert columns.rows.tolist() == np.array(person, dtype=np.int64)[order].tolist()
    assert columns.level.tolist() == np.array(level, dtype=np.int64)[order].tolist()
    assert np.diff(columns.indptr).tolist() == np.bincount(skill, minlength=N_SKILLS).tolist()
