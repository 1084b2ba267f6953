"""Measure the skill-label normaliser's accuracy and choose its thresholds.

    .venv/bin/python benchmarks/normaliser_eval.py [--esco PATH] [--seed S] [--repeats N]

Builds the index over ESCO v1.1.1 (preferred + alternative labels) plus the
DDaT skills, then queries it with labels derived from the index itself. Each
of N samples (default 3: seeds S, S+1, S+2; ~1 minute in all) holds out its
own labels and builds its own index; the tables pool them, since one sample
of 2,000 held-out labels moves the optimum by a point or two:

  (a) held-out   ESCO alternative labels removed from the index before the
                 build, queried as typed: expected = their skill. Measures the
                 alias -> skill mapping when there is no exact hit to lean on.
  (b) misspelt   preferred and alternative labels with 1-2 typing errors
                 (deletion, insertion and substitution by a keyboard
                 neighbour, transposition).
  (c) variant    case, punctuation, hyphens, brackets, spacing, word order.
  (d) exact      labels in the index, verbatim (sanity).
  (e) nonsense   random letter strings: should come back "none".

A candidate counts as correct when it is the expected skill or a skill that
carries the same label (after normalise()): ESCO reuses some labels on several
skills ("project management" is on two), and either answer is then right.
Queries whose label belongs to more than one skill are counted as ambiguous.

The script sweeps AUTO_THRESHOLD x AUTO_MARGIN and SUGGEST_THRESHOLD, prints
the tables, and the choice rule: the highest auto rate over (a)+(b)+(c) whose
auto precision is >= 0.98 pooled and in each of (a), (b), (c) separately (the
pooled-only optimum is printed too); for SUGGEST_THRESHOLD, the highest value
that loses at most half a point of "right skill among the shown top 3" on
(a)+(b)+(c), which decides how much nonsense is answered "none". The
constants in matching/normaliser.py are set by hand from this output.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from esco_labels import default_esco_path, load_ddat_labels, load_esco_labels  # noqa: E402

from matching import normaliser as nm  # noqa: E402

TARGET_PRECISION = 0.98
SELECTION = ("held-out", "misspelt", "variant")
CATEGORIES = ("held-out", "misspelt", "variant", "exact", "nonsense")
ACCEPTANCE = [
    "pyhton",
    "projct managment",
    "Pyhton programming",
    "Project-Management",
    "data analy",
    "management project",
    "excel",
]
THRESHOLDS = list(range(70, 91)) + [92, 94, 96, 98]
MARGINS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15]
SUGGEST_GRID = [0, 30, 40, 45, 50, 55, 60, 65, 70]
SUGGEST_RECALL_COST = 0.005  # shown top-3 recall a higher suggest threshold may give up

KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]


def _neighbours() -> dict[str, str]:
    where = {ch: (r, c) for r, row in enumerate(KEYBOARD) for c, ch in enumerate(row)}
    out: dict[str, str] = {}
    for ch, (r, c) in where.items():
        near = []
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if (dr or dc) and 0 <= rr < 3 and 0 <= cc < len(KEYBOARD[rr]):
                    near.append(KEYBOARD[rr][cc])
        out[ch] = "".join(near)
    return out


NEIGHBOURS = _neighbours()


def misspell(label: str, rng: random.Random, edits: int) -> str:
    """Apply ``edits`` typing errors at letter positions."""
    chars = list(label)
    for _ in range(edits):
        letters = [i for i, ch in enumerate(chars) if ch.lower() in NEIGHBOURS]
        if not letters:
            break
        i = rng.choice(letters)
        kind = rng.choice(["delete", "insert", "substitute", "transpose"])
        near = NEIGHBOURS[chars[i].lower()]
        if kind == "delete":
            del chars[i]
        elif kind == "insert":
            chars.insert(i + rng.choice([0, 1]), rng.choice(near + chars[i].lower()))
        elif kind == "substitute":
            chars[i] = rng.choice(near)
        else:
            j = i + 1 if i + 1 < len(chars) and chars[i + 1].isalpha() else i - 1
            if j >= 0 and chars[j].isalpha() and chars[j] != chars[i]:
                chars[i], chars[j] = chars[j], chars[i]
            else:
                chars[i] = rng.choice(near)
    return "".join(chars)


def variant(label: str, rng: random.Random) -> str:
    """A case / punctuation / spacing / word-order rewrite of ``label``."""
    words = label.split()
    kinds = ["upper", "title", "hyphen", "punct", "spaces", "brackets"]
    if len(words) >= 2:
        kinds += ["order", "order", "order"]
    kind = rng.choice(kinds)
    if kind == "upper":
        return label.upper()
    if kind == "title":
        return label.title()
    if kind == "hyphen":
        return "-".join(words)
    if kind == "punct":
        return rng.choice(["", "* ", "- "]) + label + rng.choice([".", ";", ":", "!", ","])
    if kind == "spaces":
        return "  " + "   ".join(words) + " \t"
    if kind == "brackets":
        return f"({label})" if len(words) < 2 else f"{words[0]} ({' '.join(words[1:])})"
    # order: move one word to another position (never the identity)
    while True:
        shuffled = words[:]
        rng.shuffle(shuffled)
        if shuffled != words:
            return " ".join(shuffled).capitalize() if rng.random() < 0.3 else " ".join(shuffled)


def nonsense(rng: random.Random) -> str:
    n_words = rng.choice([1, 1, 2, 3])
    return " ".join(
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 11)))
        for _ in range(n_words)
    )


@dataclass
class Query:
    category: str
    text: str
    expected_skill: int | None  # None for nonsense
    expected_norm: str
    ambiguous: bool = False
    candidates: list = field(default_factory=list)


def build_queries(rows, seed: int, sizes: dict[str, int]):
    """Return (index entries, queries) with the held-out labels removed from the entries."""
    rng = random.Random(seed)
    norm = nm.normalise
    owners: dict[str, set[int]] = defaultdict(set)
    skill_norms: dict[int, list[str]] = defaultdict(list)
    for skill_id, label, _preferred, _uri in rows:
        owners[norm(label)].add(skill_id)
        skill_norms[skill_id].append(norm(label))

    # (a) held-out ESCO alternative labels that are not, once normalised,
    # another label of the same skill (else nothing would be held out).
    pool = [
        i
        for i, (skill_id, label, preferred, uri) in enumerate(rows)
        if not preferred
        and "esco" in uri
        and norm(label)
        and skill_norms[skill_id].count(norm(label)) == 1
    ]
    held = set(rng.sample(pool, sizes["held-out"]))
    queries = [
        Query(
            "held-out", rows[i][1], rows[i][0], norm(rows[i][1]), len(owners[norm(rows[i][1])]) > 1
        )
        for i in sorted(held)
    ]
    kept = [row for i, row in enumerate(rows) if i not in held]
    in_index = {norm(label) for _, label, _, _ in kept}

    def sample_rows(n: int, min_letters: int = 0):
        eligible = [r for r in kept if sum(ch.isalpha() for ch in r[1]) >= min_letters]
        return rng.sample(eligible, n)

    # (b) misspellings: half preferred, half alternative labels; 1 or 2 edits.
    preferred_rows = [r for r in kept if r[2] and sum(ch.isalpha() for ch in r[1]) >= 4]
    alt_rows = [r for r in kept if not r[2] and sum(ch.isalpha() for ch in r[1]) >= 4]
    half = sizes["misspelt"] // 2
    for skill_id, label, _p, _u in rng.sample(preferred_rows, half) + rng.sample(
        alt_rows, sizes["misspelt"] - half
    ):
        for _attempt in range(20):
            typo = misspell(label, rng, rng.choice([1, 2]))
            if norm(typo) and norm(typo) not in in_index:
                break
        else:
            continue
        queries.append(Query("misspelt", typo, skill_id, norm(label), len(owners[norm(label)]) > 1))

    # (c) case / punctuation / word-order variants.
    for skill_id, label, _p, _u in sample_rows(sizes["variant"], 2):
        text = variant(label, rng)
        queries.append(Query("variant", text, skill_id, norm(label), len(owners[norm(label)]) > 1))

    # (d) exact labels.
    for skill_id, label, _p, _u in sample_rows(sizes["exact"]):
        queries.append(Query("exact", label, skill_id, norm(label), len(owners[norm(label)]) > 1))

    # (e) nonsense.
    for _ in range(sizes["nonsense"]):
        text = nonsense(rng)
        if norm(text) not in in_index:
            queries.append(Query("nonsense", text, None, norm(text)))
    return [(s, label, p) for s, label, p, _ in kept], queries


class Judge:
    def __init__(self, entries):
        self.skill_norms: dict[int, set[str]] = defaultdict(set)
        for skill_id, label, _ in entries:
            self.skill_norms[skill_id].add(nm.normalise(label))

    def correct(self, query: Query, candidate) -> bool:
        if query.expected_skill is None:
            return False
        return (
            candidate.skill_id == query.expected_skill
            or query.expected_norm in self.skill_norms[candidate.skill_id]
        )


@dataclass
class Scored:
    """Per-query facts from which any (threshold, margin) decision follows.

    Mirrors ``Normaliser.decide_from``: auto iff top >= threshold and
    (margin >= AUTO_MARGIN or the preferred-over-alias tie rule applies).
    """

    category: np.ndarray
    top: np.ndarray  # best score (0 when no candidate)
    margin: np.ndarray  # best minus runner-up (inf when there is no runner-up)
    tie_rule: np.ndarray  # Normaliser.preferred_wins_tie(first, second)
    top1: np.ndarray  # candidates[0] correct
    top3: np.ndarray  # a correct candidate among the first three
    shown3: dict  # suggest threshold -> correct candidate among the shown first three
    ambiguous: np.ndarray

    def auto(self, thr: float, margin: float) -> np.ndarray:
        return (self.top >= thr) & ((self.margin >= margin) | self.tie_rule)


def score_queries(runs) -> Scored:
    cat, top, margin, tie, top1, top3, amb = [], [], [], [], [], [], []
    shown3: dict[int, list[bool]] = {s: [] for s in SUGGEST_GRID}
    for index, judge, queries in runs:
        for q in queries:
            cands = q.candidates
            cat.append(q.category)
            amb.append(q.ambiguous)
            ok = [judge.correct(q, c) for c in cands[:3]]
            top1.append(bool(ok) and ok[0])
            top3.append(any(ok))
            for s in SUGGEST_GRID:
                shown3[s].append(any(o for o, c in zip(ok, cands, strict=False) if c.score >= s))
            if not cands:
                top.append(0.0)
                margin.append(0.0)
                tie.append(False)
                continue
            top.append(cands[0].score)
            margin.append(cands[0].score - cands[1].score if len(cands) > 1 else np.inf)
            tie.append(len(cands) > 1 and index.preferred_wins_tie(cands[0], cands[1]))
    return Scored(
        np.array(cat),
        np.array(top),
        np.array(margin),
        np.array(tie, dtype=bool),
        np.array(top1, dtype=bool),
        np.array(top3, dtype=bool),
        {s: np.array(v, dtype=bool) for s, v in shown3.items()},
        np.array(amb, dtype=bool),
    )


def check_mirror(runs, scored: Scored) -> None:
    """The vectorised sweep must agree with Normaliser.decide_from itself."""
    outcomes = [
        index.decide_from(q.candidates).outcome for index, _, queries in runs for q in queries
    ]
    auto = np.array([o == "auto" for o in outcomes])
    expected = scored.auto(nm.AUTO_THRESHOLD, nm.AUTO_MARGIN) & (scored.top >= nm.SUGGEST_THRESHOLD)
    assert (auto == expected).all(), "evaluation sweep disagrees with decide_from"


def category_report(scored: Scored, thr: float, margin: float, suggest: float) -> None:
    groups = {c: scored.category == c for c in CATEGORIES}
    groups["(a)+(b)+(c)"] = np.isin(scored.category, SELECTION)
    groups["all but nonsense"] = scored.category != "nonsense"
    auto = scored.auto(thr, margin) & (scored.top >= suggest)
    none = scored.top < suggest
    print(
        f"{'category':<18}{'n':>6}{'ambig':>7}{'auto prec':>11}{'auto rate':>11}"
        f"{'top-1':>8}{'top-3':>8}{'suggest':>9}{'none':>7}"
    )
    for name, mask in groups.items():
        n = int(mask.sum())
        if not n:
            continue
        autos = int((auto & mask).sum())
        right = int((auto & mask & scored.top1).sum())
        prec = f"{right / autos:.3f}" if autos else "-"
        print(
            f"{name:<18}{n:>6}{int((scored.ambiguous & mask).sum()):>7}{prec:>11}"
            f"{autos / n:>11.3f}{scored.top1[mask].mean():>8.3f}{scored.top3[mask].mean():>8.3f}"
            f"{(mask & ~auto & ~none).sum() / n:>9.3f}{(mask & none).sum() / n:>7.3f}"
        )


def sweep(scored: Scored) -> None:
    select = np.isin(scored.category, SELECTION)
    cats = {c: scored.category == c for c in SELECTION}
    pooled: dict[tuple[int, int], tuple[float, float]] = {}
    worst: dict[tuple[int, int], float] = {}
    for thr in THRESHOLDS:
        for margin in MARGINS:
            auto = scored.auto(thr, margin)
            right = auto & scored.top1
            n_auto = int((auto & select).sum())
            pooled[thr, margin] = (
                (right & select).sum() / n_auto if n_auto else 1.0,
                n_auto / select.sum(),
            )
            worst[thr, margin] = min(
                (right & m).sum() / (auto & m).sum() if (auto & m).any() else 1.0
                for m in cats.values()
            )
    header = "threshold \\ margin" + "".join(f"{m:>12}" for m in MARGINS)
    print(f"Sweep over (a)+(b)+(c), n={int(select.sum())}: auto precision / auto rate")
    print(header)
    for thr in THRESHOLDS:
        cells = "".join(f"{pooled[thr, m][0]:>6.3f}/{pooled[thr, m][1]:.3f}" for m in MARGINS)
        print(f"{thr:>18}" + cells)
    print("\nWorst single-category auto precision over (a), (b), (c)")
    print(header)
    for thr in THRESHOLDS:
        print(f"{thr:>18}" + "".join(f"{worst[thr, m]:>12.3f}" for m in MARGINS))

    for label, require_each in (("pooled precision only", False), ("each category too", True)):
        ok = [
            (rate, -thr, -margin, prec)
            for (thr, margin), (prec, rate) in pooled.items()
            if prec >= TARGET_PRECISION
            and (not require_each or worst[thr, margin] >= TARGET_PRECISION)
        ]
        if not ok:
            print(f"\n{label}: no grid point reaches auto precision {TARGET_PRECISION}")
            continue
        # Highest auto rate; ties: lower threshold, then smaller margin.
        rate, neg_thr, neg_margin, prec = max(ok)
        thr, margin = -neg_thr, -neg_margin
        print(
            f"\nBest with auto precision >= {TARGET_PRECISION} ({label}): "
            f"AUTO_THRESHOLD={thr} AUTO_MARGIN={margin} -> pooled precision {prec:.3f}, "
            f"auto rate {rate:.3f}, worst category {worst[thr, margin]:.3f}"
        )
    cur = (nm.AUTO_THRESHOLD, nm.AUTO_MARGIN)
    if cur in pooled:
        print(
            f"Module constants AUTO_THRESHOLD={cur[0]:g} AUTO_MARGIN={cur[1]:g}: pooled precision "
            f"{pooled[cur][0]:.3f}, auto rate {pooled[cur][1]:.3f}, worst category {worst[cur]:.3f}"
        )

    print(
        "\nSuggest threshold sweep: right skill among the shown top 3 on (a)+(b)+(c), "
        "and nonsense answered none"
    )
    nonsense_mask = scored.category == "nonsense"
    print(f"{'suggest':>8}{'shown top-3 (a-c)':>20}{'nonsense none':>15}")
    recall = {s: scored.shown3[s][select].mean() for s in SUGGEST_GRID}
    for s in SUGGEST_GRID:
        none = (scored.top[nonsense_mask] < s).mean() if nonsense_mask.any() else float("nan")
        print(f"{s:>8}{recall[s]:>20.3f}{none:>15.3f}")
    chosen = max(s for s in SUGGEST_GRID if recall[s] >= recall[0] - SUGGEST_RECALL_COST)
    print(
        f"Highest SUGGEST_THRESHOLD giving up at most {SUGGEST_RECALL_COST:.3f} of shown "
        f"top-3 recall: {chosen} (module constant: {nm.SUGGEST_THRESHOLD:g})"
    )


def acceptance(rows) -> None:
    print("\nAcceptance examples (full index, nothing held out):")
    full = nm.Normaliser((s, label, p) for s, label, p, _ in rows)
    preferred = {s: label for s, label, p, _ in rows if p}
    for text in ACCEPTANCE:
        d = full.decide(text, limit=3)
        shown = "; ".join(
            f"{preferred[c.skill_id]} [{c.matched_label}, {c.match_type} {c.score:.1f}]"
            for c in d.candidates
        )
        print(f"  {text!r:<24} {d.outcome:<8} {shown or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--esco", type=Path, default=None, help="skills_en.csv or .csv.xz")
    parser.add_argument("--seed", type=int, default=20250901)
    parser.add_argument("--repeats", type=int, default=3, help="samples (seed, seed+1, ...)")
    parser.add_argument("--held-out", type=int, default=2000)
    parser.add_argument("--misspelt", type=int, default=2000)
    parser.add_argument("--variant", type=int, default=1000)
    parser.add_argument("--exact", type=int, default=1000)
    parser.add_argument("--nonsense", type=int, default=500)
    args = parser.parse_args()

    esco_path = args.esco or default_esco_path()
    rows = load_esco_labels(esco_path) + load_ddat_labels()
    sizes = {
        "held-out": args.held_out,
        "misspelt": args.misspelt,
        "variant": args.variant,
        "exact": args.exact,
        "nonsense": args.nonsense,
    }
    print(f"ESCO file: {esco_path}; {len(rows)} labels with DDaT")
    runs = []
    for repeat in range(args.repeats):
        seed = args.seed + repeat
        entries, queries = build_queries(rows, seed, sizes)
        t0 = time.perf_counter()
        index = nm.Normaliser(entries)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for q in queries:
            q.candidates = index.search(q.text, limit=10)
        search_s = time.perf_counter() - t0
        print(
            f"seed {seed}: index of {len(entries)} labels ({len(rows) - len(entries)} held out) "
            f"built in {build_s:.2f} s; {len(queries)} queries in {search_s:.1f} s "
            f"({1000 * search_s / len(queries):.2f} ms each)"
        )
        runs.append((index, Judge(entries), queries))
    scored = score_queries(runs)
    check_mirror(runs, scored)
    print()
    sweep(scored)
    print(
        f"\nPer category at the module constants (AUTO_THRESHOLD={nm.AUTO_THRESHOLD:g}, "
        f"AUTO_MARGIN={nm.AUTO_MARGIN:g}, SUGGEST_THRESHOLD={nm.SUGGEST_THRESHOLD:g}), "
        f"all {args.repeats} samples:"
    )
    category_report(scored, nm.AUTO_THRESHOLD, nm.AUTO_MARGIN, nm.SUGGEST_THRESHOLD)
    acceptance(rows)


if __name__ == "__main__":
    main()
