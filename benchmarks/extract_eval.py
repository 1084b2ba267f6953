"""Measure skill extraction from text and job-title matching on ESCO data.

    .venv/bin/python benchmarks/extract_eval.py [--esco DIR] [--seed S] [--sample N]
                                                [--titles N] [--tune] [--tune-titles]
                                                [--only extraction|titles]

Data: ESCO v1.1.1 (``/work/shared/data/esco-v1.1.1`` when present, else the
xz copies in ``data/esco/``): skills_en.csv (labels, descriptions),
occupations_en.csv (descriptions, alternative titles) and
occupationSkillRelations.csv (essential / optional skills). No database.

Extraction: N occupations (default 300) sampled with the seed; for each, the
text is its published description and the truth its essential skills. The
extractor is built from every skill's labels and description and from the
profiles of every OTHER occupation: the sampled ones are held out, so the
"similar occupations" signal never sees the occupation (or its skill list) it
is asked about. Reported: recall@20 (share of the truth in the top 20,
averaged) and precision@10 (share of the top 10 in the truth), for the
extractor and for a plain TF-IDF baseline (scikit-learn TfidfVectorizer,
English stop words, text vs each skill's labels + description, cosine) in the
same run; extract time p50 / p95 over 200 texts of ~300 words (occupation
descriptions strung together).

Titles: N alternative titles (default 2,000) sampled from the occupations'
altLabels, removed from the index, and queried: top-1 is right when the
best match is the occupation (or one carrying the same title). 500 random
letter strings measure how often nonsense drafts nothing. Four rows in one
run: the normaliser's best title alone, + the cosine of all the occupation's
titles (no re-ranking), + the lexical re-ranker (TitleIndex without word
vectors), and matching.titles.TitleIndex as shipped, with the word vectors
``make install`` writes (``--vectors``, default var/word_vectors.npz; see
scripts/word_vectors.py).

``--tune`` sweeps the signal weights on the sample (use another seed than the
one reported: the constants in matching/extract.py were chosen on seed
20251216 and are reported on 20251215). ``--tune-titles`` sweeps the title
score's weights and threshold, then fits the title re-ranker's weights on the
seed's held-out titles and prints them as ``RERANK_WEIGHTS`` (matching/titles.py
ships the fit on seed 20251216). ``--only`` runs one part.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import lzma
import random
import string
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from esco_labels import load_esco_labels  # noqa: E402

from matching import extract as ex  # noqa: E402
from matching.normaliser import normalise  # noqa: E402
from matching.titles import TitleIndex  # noqa: E402
from matching.vectors import WordVectors  # noqa: E402

SHARED = Path("/work/shared/data/esco-v1.1.1")
SHIPPED = ROOT / "data" / "esco"
VECTORS = ROOT / "var" / "word_vectors.npz"
DEFAULT_SEED = 20251215  # reported
CHECK_SEED = 20251217  # never tuned on
# The title tree ranker learns from these seeds' held-out titles (none of the two above).
TREE_SEEDS = (20251216, 20251218, 20251219, 20251220, 20251221, 20251222)


def _open(folder: Path, name: str) -> io.TextIOBase:
    plain = folder / name
    if plain.exists():
        return open(plain, encoding="utf-8-sig", newline="")  # noqa: SIM115
    return lzma.open(folder / f"{name}.xz", "rt", encoding="utf-8-sig", newline="")


def _lines(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").splitlines() if part.strip()]


def load(folder: Path):
    labels = load_esco_labels(
        folder / "skills_en.csv" if (folder / "skills_en.csv").exists() else None
    )
    uri_to_id = {uri: skill_id for skill_id, _, _, uri in labels}
    descriptions = {}
    with _open(folder, "skills_en.csv") as handle:
        for record in csv.DictReader(handle):
            descriptions[uri_to_id[record["conceptUri"].strip()]] = record["description"].strip()
    occupations = {}
    with _open(folder, "occupations_en.csv") as handle:
        for record in csv.DictReader(handle):
            occupations[record["conceptUri"].strip()] = {
                "name": record["preferredLabel"].strip(),
                "alt": _lines(record["altLabels"]),
                "description": record["description"].strip(),
                "essential": [],
                "optional": [],
            }
    with _open(folder, "occupationSkillRelations.csv") as handle:
        for record in csv.DictReader(handle):
            occupation = occupations.get(record["occupationUri"].strip())
            skill = uri_to_id.get(record["skillUri"].strip())
            if occupation is None or skill is None:
                continue  # ESCO's one dangling occupation URI
            kind = "essential" if record["relationType"] == "essential" else "optional"
            occupation[kind].append(skill)
    entries = [(s, label, p) for s, label, p, _ in labels]
    return entries, descriptions, occupations


def build(entries, descriptions, occupations, held_out, weights=None):
    profiles = [
        (o["description"], o["essential"], o["optional"])
        for uri, o in occupations.items()
        if uri not in held_out
    ]
    return ex.Extractor(entries, descriptions, profiles, weights=weights)


class Baseline:
    """Plain TF-IDF: the text against each skill's labels + description."""

    def __init__(self, entries, descriptions):
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = defaultdict(list)
        for skill_id, label, _ in entries:
            docs[skill_id].append(label)
        self.ids = np.array(sorted(docs))
        texts = [" ".join(docs[s]) + " " + descriptions.get(s, "") for s in self.ids]
        self.vectoriser = TfidfVectorizer(stop_words="english", sublinear_tf=True)
        self.matrix = self.vectoriser.fit_transform(texts).T.tocsr()

    def extract(self, text, limit):
        sims = (self.vectoriser.transform([text]) @ self.matrix).toarray().ravel()
        top = np.argsort(-sims)[:limit]
        return [int(self.ids[i]) for i in top if sims[i] > 0]


def metrics(ranked: list[int], truth: set[int]) -> tuple[float, float]:
    recall = len(set(ranked[:20]) & truth) / len(truth)
    precision = len(set(ranked[:10]) & truth) / 10
    return recall, precision


def sample_occupations(occupations, n, seed):
    usable = sorted(u for u, o in occupations.items() if o["description"] and o["essential"])
    return random.Random(seed).sample(usable, n)


def evaluate_extraction(entries, descriptions, occupations, sample):
    started = time.perf_counter()
    extractor = build(entries, descriptions, occupations, set(sample))
    build_s = time.perf_counter() - started
    baseline = Baseline(entries, descriptions)
    ours, base = [], []
    for uri in sample:
        occupation = occupations[uri]
        truth = set(occupation["essential"])
        hits = extractor.extract(occupation["description"], 20)
        ours.append(metrics([h.skill_id for h in hits], truth))
        base.append(metrics(baseline.extract(occupation["description"], 20), truth))
    return extractor, build_s, np.mean(ours, axis=0), np.mean(base, axis=0)


def timing(extractor, occupations, seed, n=200, words=300):
    rng = random.Random(seed)
    pool = [o["description"] for o in occupations.values() if o["description"]]
    texts = []
    for _ in range(n):
        parts, count = [], 0
        while count < words:
            part = rng.choice(pool)
            parts.append(part)
            count += len(part.split())
        texts.append(" ".join(" ".join(parts).split()[:words]))
    extractor.extract(texts[0], 20)  # warm the stem cache's common words
    times = []
    for text in texts:
        started = time.perf_counter()
        extractor.extract(text, 20)
        times.append((time.perf_counter() - started) * 1000)
    return np.percentile(times, 50), np.percentile(times, 95)


def title_sample(occupations, n, seed):
    """(held-out pairs, index entries without them, descriptions, titles_of)."""
    rng = random.Random(seed)
    pairs = [(uri, alt) for uri, o in sorted(occupations.items()) for alt in o["alt"]]
    held = rng.sample(pairs, n)
    held_set = set(held)
    entries = []
    titles_of = defaultdict(set)  # normalised title -> occupations carrying it
    for uri, o in occupations.items():
        entries.append((uri, o["name"], True))
        titles_of[normalise(o["name"])].add(uri)
        for alt in o["alt"]:
            titles_of[normalise(alt)].add(uri)
            if (uri, alt) not in held_set:
                entries.append((uri, alt, False))
    descriptions = {uri: o["description"] for uri, o in occupations.items()}
    return held, entries, descriptions, titles_of


def nonsense_titles(seed, n=500):
    rng = random.Random(seed)
    letters = string.ascii_lowercase
    return [
        " ".join(
            "".join(rng.choice(letters) for _ in range(rng.randint(3, 9)))
            for _ in range(rng.randint(1, 3))
        )
        for _ in range(n)
    ]


def evaluate_titles(occupations, n, seed, **options):
    """(top-1, no match, nonsense -> None); ``options`` go to TitleIndex."""
    held, entries, _, titles_of = title_sample(occupations, n, seed)
    index = TitleIndex(entries, **options)
    right = none = 0
    for uri, alt in held:
        match = index.best(alt)
        if match is None:
            none += 1
        elif match.key == uri or match.key in titles_of[normalise(alt)]:
            right += 1
    nonsense = nonsense_titles(seed)
    nonsense_none = sum(index.best(q) is None for q in nonsense)
    return right / n, none / n, nonsense_none / len(nonsense)


def tune_titles(occupations, n, seed, vectors=None):
    from matching.titles import _Cosine

    held, entries, descriptions, titles_of = title_sample(occupations, n, seed)
    index = TitleIndex(entries, weight_titles=0.0)
    described = _Cosine([descriptions.get(key, "") for key in index._keys])
    keys = index._keys
    parts = []
    for title in [alt for _, alt in held] + nonsense_titles(seed):
        base, _ = index.scores(title)
        parts.append(
            (base, index._titles.similarity(title) * 100, described.similarity(title) * 100)
        )
    right_sets = [
        np.array([k == uri or k in titles_of[normalise(alt)] for k in keys]) for uri, alt in held
    ]
    print("titles description min_score  top-1  no-match  nonsense-None")
    rows = []
    for a, b in itertools.product((0, 0.2, 0.3, 0.5, 0.8), (0, 0.1, 0.2, 0.3, 0.5)):
        best = [base + a * t + b * d for base, t, d in parts]
        tops = [float(x.max()) for x in best]
        right = [bool(ok[int(np.argmax(x))]) for x, ok in zip(best, right_sets, strict=False)]
        for threshold in (60, 65, 70, 75, 80):
            top1 = np.mean([r and t >= threshold for r, t in zip(right, tops, strict=False)])
            no_match = np.mean([t < threshold for t in tops[: len(held)]])
            nonsense = np.mean([t < threshold for t in tops[len(held) :]])
            rows.append((top1, a, b, threshold, no_match, nonsense))
    rows.sort(reverse=True)
    for top1, a, b, threshold, no_match, nonsense in rows[:20]:
        print(f"{a:6} {b:11} {threshold:9}  {top1:.3f}  {no_match:8.3f}  {nonsense:13.3f}")
    fit_title_reranker(occupations, n, seed)
    if vectors is not None:
        fit_tree_ranker(occupations, n, vectors)


def fit_tree_ranker(occupations, n, vectors, output=None):
    """Fit the re-ranker used with word vectors, and write it to matching/title_ranker.npz.

    Gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, fixed
    random state: deterministic) classify each of the candidates of the held-out
    titles of the TREE_SEEDS as right or wrong, from TreeRanker.inputs. Titles the
    report and check seeds hold out are left out of the training, so those seeds
    stay unseen. The trees are then copied into a matching.titles.TreeRanker, whose
    numpy scores are checked against scikit-learn's before writing."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from matching.titles import FEATURES, RANKER_FILE, TreeRanker

    unseen = {
        pair for s in (DEFAULT_SEED, CHECK_SEED) for pair in title_sample(occupations, n, s)[0]
    }
    inputs, truths = [], []
    for seed in TREE_SEEDS:
        held, entries, _, titles_of = title_sample(occupations, n, seed)
        index = TitleIndex(entries, vectors=vectors, rerank_weights=())
        for uri, alt in held:
            order, features, top = index.candidates(alt)
            right = [index._keys[k] in ({uri} | titles_of[normalise(alt)]) for k in order]
            if (uri, alt) in unseen or top < index._min_score or not any(right):
                continue
            inputs.append(TreeRanker.inputs(features))
            truths.extend(right)
        print(f"  candidates of seed {seed} gathered", flush=True)
    x, y = np.vstack(inputs), np.array(truths)
    model = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=0
    ).fit(x, y)
    ranker = TreeRanker.from_sklearn(model, FEATURES)
    baseline = float(np.ravel(model._baseline_prediction)[0])
    ours = np.concatenate([ranker.score(group[:, : len(FEATURES)]) for group in inputs])
    if not np.allclose(ours + baseline, model.decision_function(x)):
        raise SystemExit("the exported trees do not score as scikit-learn's do")
    ranker.save(output or RANKER_FILE)
    print(
        f"\nTree ranker: {len(x):,} candidates of {len(inputs):,} titles (seeds "
        f"{', '.join(map(str, TREE_SEEDS))}), {model.n_iter_} trees -> {output or RANKER_FILE}"
    )


def fit_title_reranker(occupations, n, seed):
    """Fit the lexical re-ranker's weights (no word vectors) on this seed's held-out
    titles: a linear score over matching.titles.LEXICAL_FEATURES of the top RERANKED
    keys, maximising the softmax probability of the right keys (listwise; L-BFGS from
    zeros, so deterministic)."""
    from scipy.optimize import minimize

    from matching.titles import LEXICAL_FEATURES, LEXICAL_RERANK_WEIGHTS

    held, entries, _, titles_of = title_sample(occupations, n, seed)
    index = TitleIndex(entries)
    groups, truths, scored = [], [], []
    for uri, alt in held:
        order, features, top = index.candidates(alt)
        right = np.array([index._keys[k] in ({uri} | titles_of[normalise(alt)]) for k in order])
        scored.append((features, right, top >= index._min_score))
        if top >= index._min_score and right.any():
            groups.append(features)
            truths.append(right.astype(float))
    x, y = np.vstack(groups), np.concatenate(truths)
    starts = np.cumsum([0] + [len(g) for g in groups])[:-1]
    group = np.repeat(np.arange(len(groups)), [len(g) for g in groups])

    def loss(w):
        s = x @ w
        e = np.exp(s - np.maximum.reduceat(s, starts)[group])
        z, z_right = np.add.reduceat(e, starts), np.add.reduceat(e * y, starts)
        p, p_right = e / z[group], e * y / z_right[group]
        grad = -((p_right - p)[:, None] * x).sum(0) / len(groups)
        return -(np.log(z_right) - np.log(z)).sum() / len(groups), grad

    weights = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x

    def top1(w):
        return np.mean([ok and right[int(np.argmax(f @ w))] for f, right, ok in scored])

    print(f"\nRe-ranker fitted on seed {seed} ({len(groups)} titles with the right key in reach):")
    print("LEXICAL_RERANK_WEIGHTS = (" + ", ".join(f"{w:.2f}" for w in weights) + ")")
    for name, w in zip(LEXICAL_FEATURES, weights, strict=True):
        print(f"  {name:<16} {w:8.2f}")
    print(f"top-1 on seed {seed}: score order {top1(np.zeros(len(LEXICAL_FEATURES))):.3f}")
    print(f"  fitted {top1(weights):.3f}; rounded {top1(np.round(weights, 2)):.3f}")
    print(f"  shipped {top1(np.asarray(LEXICAL_RERANK_WEIGHTS)):.3f}")


def tune(entries, descriptions, occupations, sample):
    extractor = build(entries, descriptions, occupations, set(sample))
    ids = extractor.skill_ids
    grid = {
        "phrase": [0.0, 0.05, 0.1, 0.2],
        "coverage": [0.0, 0.03, 0.06, 0.1],
        "neighbours": [1.0],
        "similarity": [0.08, 0.12, 0.15, 0.2],
    }
    print("neighbours power  phrase coverage neighbours similarity  recall@20 precision@10")
    for k, power in itertools.product((10, 15, 25, 40), (1.0, 2.0, 3.0, 4.0)):
        ex.NEIGHBOURS, ex.NEIGHBOUR_POWER = k, power
        found = [
            (extractor.signals(occupations[u]["description"]), set(occupations[u]["essential"]))
            for u in sample
        ]
        for line in _sweep(found, ids, grid)[:3]:
            print(f"{k:10} {power:5}  {line}")


def _sweep(found, ids, grid):
    results = []
    for weights in itertools.product(*grid.values()):
        w = np.asarray(weights)
        scores = []
        for signals, truth in found:
            score = w @ signals.values
            top = np.argpartition(-score, 20)[:20]
            top = top[np.argsort(-score[top])]
            scores.append(metrics([int(ids[c]) for c in top if score[c] > 0], truth))
        r, p = np.mean(scores, axis=0)
        results.append((r + p, r, p, weights))
    results.sort(reverse=True)
    return [f"{w[0]:6} {w[1]:8} {w[2]:10} {w[3]:10}  {r:9.3f} {p:12.3f}" for _, r, p, w in results]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--esco", type=Path, default=SHARED if SHARED.exists() else SHIPPED)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--titles", type=int, default=2000)
    parser.add_argument("--tune", action="store_true", help="sweep the extractor's weights")
    parser.add_argument("--tune-titles", action="store_true", help="sweep the title weights")
    parser.add_argument("--vectors", type=Path, default=VECTORS, help="word vectors (.npz)")
    parser.add_argument(
        "--only",
        choices=("extraction", "titles"),
        help="run one part of the benchmark (default: both)",
    )
    args = parser.parse_args()

    entries, descriptions, occupations = load(args.esco)
    sample = sample_occupations(occupations, args.sample, args.seed)
    if args.tune_titles:
        tune_titles(occupations, args.titles, args.seed, WordVectors.load(args.vectors))
        return 0
    if args.tune:
        tune(entries, descriptions, occupations, sample)
        return 0
    print(
        f"ESCO v1.1.1 from {args.esco}: {len({e[0] for e in entries}):,} skills, "
        f"{len(occupations):,} occupations; seed {args.seed}"
    )
    met = True
    if args.only != "titles":
        met = report_extraction(args, entries, descriptions, occupations, sample) and met
    if args.only != "extraction":
        met = report_titles(args, occupations) and met
    print(
        f"\nIssue 15 targets met{'' if args.only is None else ' (this part)'}: "
        f"{'yes' if met else 'NO'}"
    )
    return 0


def report_extraction(args, entries, descriptions, occupations, sample) -> bool:
    extractor, build_s, ours, base = evaluate_extraction(entries, descriptions, occupations, sample)
    p50, p95 = timing(extractor, occupations, args.seed)
    print(
        f"Extraction: {args.sample} occupations (description -> essential skills), "
        "held out of the extractor\n"
    )
    print(f"{'method':<28} {'recall@20':>10} {'precision@10':>13}")
    print(f"{'TF-IDF baseline':<28} {base[0]:>10.3f} {base[1]:>13.3f}")
    print(f"{'matching.extract':<28} {ours[0]:>10.3f} {ours[1]:>13.3f}")
    print(f"{'ratio to baseline':<28} {ours[0] / base[0]:>9.2f}x {ours[1] / base[1]:>12.2f}x")
    print(
        f"\nExtractor build {build_s:.1f} s; "
        f"extract(300 words, 20): p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    met = ours[0] >= 0.35 and ours[1] >= 0.35 and ours[0] >= 2 * base[0]
    return met and ours[1] >= 2 * base[1] and p95 <= 200


def report_titles(args, occupations) -> bool:
    vectors = WordVectors.load(args.vectors)
    rows = [
        ("normaliser best title only", dict(weight_titles=0.0, rerank_weights=())),
        ("+ cosine of all titles (no rerank)", dict(rerank_weights=())),
        ("+ lexical re-ranker (no vectors)", {}),
    ]
    if vectors is None:
        print(f"\nNo word vectors at {args.vectors}: run make install (scripts/word_vectors.py)")
    else:
        rows.append(("matching.titles.TitleIndex", dict(vectors=vectors)))
    print(
        f"\nTitles: {args.titles:,} held-out ESCO alternative titles -> occupation\n"
        f"{'method':<36} {'top-1':>6} {'no match':>9} {'nonsense -> None':>17}"
    )
    for name, options in rows:
        started = time.perf_counter()
        top1, none, nonsense_none = evaluate_titles(occupations, args.titles, args.seed, **options)
        seconds = time.perf_counter() - started
        print(f"{name:<36} {top1:>6.3f} {none:>9.3f} {nonsense_none:>17.3f}  ({seconds:.1f} s)")
    return top1 >= 0.85


if __name__ == "__main__":
    sys.exit(main())
