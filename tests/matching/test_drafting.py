"""The draft rules (DESIGN 9) in matching.drafting: combining sources and what a
drafting run may write over a profile."""

import datetime as dt

import pytest

from matching.drafting import Held, Source, combine, plan

ROLE = "role_level"
TEXT = "text"


def role(level, end=None, label="Data analyst"):
    return Source(kind=ROLE, label=label, level=level, start=dt.date(2020, 1, 1), end=end)


def test_the_higher_level_wins_and_every_source_is_kept_winner_first():
    past = role(3, end=dt.date(2023, 6, 30), label="Senior data analyst")
    now = role(2, label="Data analyst")
    [proposal] = combine([(7, now), (7, past)]).values()
    assert proposal.level == 3
    assert proposal.sources == (past, now)
    assert proposal.source == ROLE


def test_a_past_role_proposes_its_end_date_as_last_used():
    end = dt.date(2022, 3, 31)
    assert combine([(1, role(2, end=end))])[1].last_used == end
    assert combine([(1, role(2))])[1].last_used is None


def test_among_equal_levels_the_most_recent_use_wins():
    old = role(2, end=dt.date(2019, 1, 1), label="Old")
    current = role(2, label="Now")
    proposal = combine([(1, old), (1, current)])[1]
    assert proposal.last_used is None
    assert proposal.sources[0] == current


def test_a_level_outside_1_to_4_is_refused():
    with pytest.raises(ValueError):
        combine([(1, role(5))])


def test_a_run_never_reproposes_a_rejection_or_touches_a_confirmed_skill():
    proposals = combine([(1, role(3)), (2, role(3)), (3, role(3)), (4, role(3))])
    held = {
        2: Held(evidence="self", level=1, last_used=None),
        3: Held(evidence="manager_verified", level=4, last_used=None),
        4: Held(evidence="inferred", level=3, last_used=None, sources=(role(3),)),
    }
    decided = plan(proposals, held, {1}, kinds={ROLE})
    assert decided.create == []
    assert decided.update == []
    assert decided.skipped_rejected == 1
    assert decided.skipped_confirmed == 2
    assert decided.unchanged == 1


def test_a_new_proposal_is_created_and_a_changed_draft_updated():
    held = {5: Held(evidence="inferred", level=2, last_used=None, sources=(role(2),))}
    decided = plan(combine([(5, role(3)), (6, role(1))]), held, set(), kinds={ROLE})
    assert [p.skill_id for p in decided.create] == [6]
    assert [(p.skill_id, p.level) for p in decided.update] == [(5, 3)]


def test_a_run_keeps_sources_of_kinds_it_did_not_look_at():
    cv = Source(kind=TEXT, label="python", level=3, passage="I write Python", span=(2, 14))
    held = {5: Held(evidence="inferred", level=3, last_used=None, sources=(cv,))}
    decided = plan(combine([(5, role(2))]), held, set(), kinds={ROLE})
    [updated] = decided.update
    assert updated.level == 3
    assert updated.sources[0] == cv
    assert decided.withdraw == []


def test_a_stale_draft_of_a_kind_the_run_covers_is_withdrawn_and_others_are_not():
    cv = Source(kind=TEXT, label="python", level=3)
    held = {
        5: Held(evidence="inferred", level=2, last_used=None, sources=(role(2),)),
        6: Held(evidence="inferred", level=3, last_used=None, sources=(cv,)),
        7: Held(evidence="self", level=2, last_used=None, sources=(role(2),)),
    }
    assert plan({}, held, set(), kinds={ROLE}).withdraw == [5]


def test_sources_survive_a_json_round_trip():
    source = Source(
        kind=TEXT,
        label="python",
        level=3,
        start=dt.date(2021, 1, 1),
        end=dt.date(2024, 1, 1),
        ref="x",
        passage="I write Python",
        span=(2, 14),
    )
    assert Source.from_json(source.to_json()) == source
