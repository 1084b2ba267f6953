"""Speed of the skill-label normaliser over the full ESCO (+DDaT) label set.

    .venv/bin/python benchmarks/normaliser_bench.py [--esco PATH] [--queries N] [--peer N]

Times the index build, then ``Normaliser.decide`` on N realistic queries
(exact labels, misspellings, half-typed labels such as "data analy", free text
around a label, case/punctuation variants and a few long pasted strings), and
the naive peer, ``rapidfuzz.process.extract(query, labels, scorer=fuzz.WRatio,
limit=10)`` over every label, on a subset. Latencies are wall-clock (what a
caller waits); the CPU time of the same calls is printed too, since on a busy
shared host the wall-clock tail mostly measures other processes. Prints plain
text for the README.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from esco_labels import default_esco_path, load_ddat_labels, load_esco_labels  # noqa: E402
from normaliser_eval import misspell, variant  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from matching.normaliser import Normaliser  # noqa: E402

FRAMES = [
    "experience in {}",
    "{} skills",
    "strong {}",
    "{} (advanced)",
    "good knowledge of {}",
    "{} and reporting",
]


def realistic_queries(labels: list[str], n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, query) pairs in a fixed mix."""
    mix = [
        ("exact", 0.25),
        ("misspelt", 0.25),
        ("partial", 0.15),
        ("free text", 0.15),
        ("variant", 0.15),
        ("long", 0.05),
    ]
    out: list[tuple[str, str]] = []
    for kind, share in mix:
        for _ in range(round(n * share)):
            label = rng.choice(labels)
            if kind == "exact":
                text = label
            elif kind == "misspelt":
                text = misspell(label, rng, rng.choice([1, 2]))
            elif kind == "partial":  # someone still typing: "data analy"
                cut = max(3, int(len(label) * rng.uniform(0.4, 0.8)))
                text = label[:cut]
            elif kind == "free text":
                text = rng.choice(FRAMES).format(misspell(label, rng, rng.choice([0, 1])))
            elif kind == "variant":
                text = variant(label, rng)
            else:  # a pasted cell of several labels, 150-400 characters
                parts = [label]
                while sum(len(p) + 2 for p in parts) < rng.randint(150, 400):
                    parts.append(rng.choice(labels))
                text = ", ".join(parts)
            out.append((kind, text))
    rng.shuffle(out)
    return out[:n]


def percentiles(samples_s: list[float]) -> tuple[float, float, float]:
    ms = np.asarray(samples_s) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return float(p50), float(p95), float(p99)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--esco", type=Path, default=None, help="skills_en.csv or .csv.xz")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--peer", type=int, default=100, help="queries timed for the peer")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    esco_path = args.esco or default_esco_path()
    rows = load_esco_labels(esco_path) + load_ddat_labels()
    entries = [(skill_id, label, preferred) for skill_id, label, preferred, _ in rows]
    labels = [label for _, label, _ in entries]
    rng = random.Random(args.seed)
    queries = realistic_queries(labels, args.queries, rng)

    gc.collect()
    rss_before = rss_mb()
    t0 = time.perf_counter()
    index = Normaliser(entries)
    build_s = time.perf_counter() - t0
    rss_after = rss_mb()

    for _, text in queries[:50]:  # warm up caches
        index.decide(text)
    ours: list[float] = []
    ours_cpu: list[float] = []
    by_kind: dict[str, list[float]] = {}
    outcomes: dict[str, int] = {}
    for kind, text in queries:
        c0 = time.thread_time()
        t0 = time.perf_counter()
        decision = index.decide(text)
        elapsed = time.perf_counter() - t0
        ours_cpu.append(time.thread_time() - c0)
        ours.append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
        outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1

    peer: list[float] = []
    peer_queries = [text for _, text in queries[: args.peer]]
    for text in peer_queries:
        t0 = time.perf_counter()
        process.extract(text, labels, scorer=fuzz.WRatio, limit=10)
        peer.append(time.perf_counter() - t0)
    ours_same = [ours[i] for i in range(len(peer_queries))]

    p50, p95, p99 = percentiles(ours)
    s50, s95, _ = percentiles(ours_same)
    q50, q95, _ = percentiles(peer)
    n_skills = len({e[0] for e in entries})
    print(f"Normaliser benchmark: ESCO v1.1.1 ({esco_path.name}) + DDaT")
    print(f"labels indexed:        {len(entries):,} on {n_skills:,} skills")
    print(f"index build:           {build_s:.2f} s")
    print(f"max RSS after build:   {rss_after:.0f} MB (before build {rss_before:.0f} MB)")
    print(f"queries:               {len(queries)} (seed {args.seed}); outcomes {outcomes}")
    print(f"host:                  {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print()
    print(f"{'what':<44}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    print(f"{'Normaliser.decide, all queries':<44}{len(ours):>6}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}")
    for kind, samples in sorted(by_kind.items()):
        k50, k95, k99 = percentiles(samples)
        print(f"{'  ' + kind:<44}{len(samples):>6}{k50:>9.2f}{k95:>9.2f}{k99:>9.2f}")
    c50, c95, c99 = percentiles(ours_cpu)
    print(f"{'  (CPU time of the same calls)':<44}{len(ours):>6}{c50:>9.2f}{c95:>9.2f}{c99:>9.2f}")
    print(f"{'Normaliser.decide, peer subset':<44}{len(ours_same):>6}{s50:>9.2f}{s95:>9.2f}{'':>9}")
    print(
        f"{'peer: process.extract WRatio, limit=10':<44}{len(peer):>6}{q50:>9.2f}{q95:>9.2f}{'':>9}"
    )
    print()
    print(f"peer p95 / ours p95 (same {len(peer)} queries): {q95 / s95:.0f}x")
    print(f"peer p95 / ours p95 (all {len(ours)} queries):  {q95 / p95:.0f}x")


if __name__ == "__main__":
    main()
