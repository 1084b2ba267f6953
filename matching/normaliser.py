"""Skill-label normaliser: land any free-text skill label on a taxonomy skill.

Pure Python over plain inputs: ``Normaliser(entries)`` takes ``(skill_id,
label, is_preferred)`` tuples and answers ``search(query)`` (ranked
``Candidate``s, at most one per skill, with its best label) and
``decide(query)`` ("auto" / "suggest" / "none"). The index is immutable once
built, so one instance can serve concurrent readers; rebuild it when the
taxonomy changes.

Ranking, best first (scores 0-100):

=========== ===== ==========================================================
match_type  score when
=========== ===== ==========================================================
exact       100   the query (trimmed) is a skill's preferred label verbatim
alias       100   ... an alternative label verbatim (ranked after "exact")
normalised  98    equal after ``normalise()``: case (casefold, NFKC), accents,
                  punctuation, hyphens, brackets, apostrophes, spacing
normalised  97    equal once spaces are dropped too ("e-mail" / "email")
word_order  95    the same words in another order
fuzzy       <=94  misspelt or partial: similarity x 0.94 (see below)
=========== ===== ==========================================================

Ties: preferred label before alias, shorter label, smaller skill id.

Fuzzy: character trigrams (scikit-learn's ``char_wb`` scheme) of every
distinct normalised label are kept as tf-idf weighted, L2-normalised posting
lists; a query's rarer trigrams (those on <= 5% of labels) pick the 150
labels of highest cosine, which rapidfuzz re-scores with max(``ratio``,
``token_sort_ratio``), less up to a point of Jaro-Winkler distance as a tie
breaker. A half-typed label ("data analy") scores at least 65-80 when every
query word starts a label word. Queries under 5 characters are capped at 75
on a fuzzy match, so a typo in "splo" never decides alone.

Decision: "auto" when the best score is >= AUTO_THRESHOLD and at least
AUTO_MARGIN ahead of the best *other* skill, or when it ties with another
skill on the same label that is its preferred label and only the other's
alias (ESCO's "project management" is one skill's preferred label and
another's alias). Otherwise "suggest" the candidates scoring >=
SUGGEST_THRESHOLD, or "none" if there are none.

Thresholds, measured by ``benchmarks/normaliser_eval.py`` (ESCO v1.1.1
preferred + alternative labels and the 188 DDaT skills, 99,378 labels on
14,084 skills; three samples, seeds 20250901-20250903, each with 2,000 ESCO
alternative labels held out of the index and queried, 2,000 labels with 1-2
typing errors, 1,000 case/punctuation/word-order variants, 1,000 verbatim
labels and 500 random strings; a hit counts when the skill is the expected
one or carries the same label, 225 of the 15,000 (a)-(c) queries being
ambiguous that way). The sweep over AUTO_THRESHOLD 70-98 x AUTO_MARGIN 0-15
keeps the points whose auto precision is >= 0.98 both pooled over held-out,
misspelt and variant queries and in each of the three alone, and takes the
one with the highest auto rate: 78 / 8.

=================  =========  =========  =====  =====  =====
category (n)       auto prec  auto rate  top-1  top-3  none
=================  =========  =========  =====  =====  =====
held-out (6,000)   0.981      0.616      0.818  0.895  0.018
misspelt (6,000)   1.000      0.939      0.998  0.998  0.001
variant (3,000)    1.000      0.980      1.000  1.000  0.000
exact (3,000)      1.000      0.986      1.000  1.000  0.000
(a)-(c) (15,000)   0.994      0.818      0.926  0.957  0.008
nonsense (1,500)   no autos   0.000      -      -      0.989
=================  =========  =========  =====  =====  =====

The pooled-only optimum, 70 / 4, would auto 90.1% at pooled precision 0.980
but only 0.943 on held-out aliases, so it was not taken. SUGGEST_THRESHOLD
65 is the highest that gives up at most half a point of "right skill among
the shown top 3" on (a)-(c) (0.957 -> 0.953) while answering "none" to 98.9%
of random strings (0.862 at 50). Held-out alternative labels are the hard
case: a synonym that shares no spelling with its skill's other labels
("dangle animals" for "suspend animals") cannot be found by spelling, and
one-word differences ("comprehend spoken Javanese" vs "... Japanese") look
like typos; those are most of the wrong autos.

Measured alternatives: bigrams + trigrams shortlisted no better than
trigrams alone at ~2.5x the query time; rapidfuzz ``WRatio`` as the
re-scorer cut held-out top-1 from 0.80 to 0.65 and misspelt top-1 from
0.997 to 0.982 (its partial matching rewards any label containing the
query). Speed (``benchmarks/normaliser_bench.py``, same label set): build
~1.6-2.3 s, ~110 MB resident; ``decide`` p50 ~1.6 ms, p95 ~2.7 ms on 1,000
mixed queries, against ~310 ms p95 for ``process.extract(query, labels,
scorer=fuzz.WRatio, limit=10)`` over every label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler
from scipy import sparse

__all__ = [
    "AUTO_MARGIN",
    "AUTO_THRESHOLD",
    "SUGGEST_THRESHOLD",
    "Candidate",
    "Decision",
    "Normaliser",
    "normalise",
]

# Decision thresholds, chosen by benchmarks/normaliser_eval.py (numbers in the
# module docstring): the highest auto rate whose auto precision is >= 0.98
# pooled and in each evaluation category on its own.
AUTO_THRESHOLD = 78.0  # "auto" needs a best score of at least this ...
AUTO_MARGIN = 8.0  # ... and this many points over the best *other* skill
SUGGEST_THRESHOLD = 65.0  # candidates below this are not shown; none left -> "none"

# Scores of the deterministic tiers. Every fuzzy score is scaled below
# SCORE_WORD_ORDER, so a better tier always ranks first.
SCORE_EXACT = 100.0  # label verbatim (preferred: "exact", alias: "alias")
SCORE_NORMALISED = 98.0  # equal after normalise(): case, accents, punctuation, spacing
SCORE_COMPACT = 97.0  # equal once spaces are dropped too ("e-mail" / "email")
SCORE_WORD_ORDER = 95.0  # same words in another order
FUZZY_SCALE = 0.94  # fuzzy score = similarity (0-100) x FUZZY_SCALE, so at most 94
TIE_BREAK_WEIGHT = 1.0  # points of similarity given to Jaro-Winkler (see _fuzzy_similarity)

SHORT_QUERY_CHARS = 5  # normalised queries shorter than this ...
SHORT_QUERY_FUZZY_CAP = 75.0  # ... score at most this on a fuzzy match: never "auto"

# Half-typed labels ("data analy", "excel"): when every query word starts a
# word of the label, similarity is at least PREFIX_BASE + PREFIX_SPAN x (typed
# share of the label), + PREFIX_WHOLE_WORDS when the words are whole, capped at
# PREFIX_MAX (x FUZZY_SCALE = 75.2, so a prefix alone never reaches "auto").
PREFIX_MIN_CHARS = 3
PREFIX_BASE = 65.0
PREFIX_SPAN = 15.0
PREFIX_WHOLE_WORDS = 5.0
PREFIX_MAX = 80.0

SHORTLIST = 150  # distinct normalised labels re-scored by rapidfuzz per query
COMMON_NGRAM_SHARE = 0.05  # trigrams on more than this share of labels do not shortlist
MAX_QUERY_NGRAMS = 96  # long queries: only the rarest trigrams generate candidates
MAX_QUERY_CHARS = 1000  # longer queries are cut here (labels are at most ~170 chars)
BUILD_CHUNK = 16_384  # labels per vectorised trigram pass (bounds peak memory)

_NON_WORD = re.compile(r"[^\w+#]+")  # keep + and # for C++, C#, F#
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc")

MATCH_TYPES = ("exact", "alias", "normalised", "word_order", "fuzzy")


@dataclass(frozen=True, slots=True)
class Candidate:
    skill_id: int
    score: float  # 0-100, higher is better
    matched_label: str  # the taxonomy label (preferred or alias) that matched, as stored
    match_type: str  # "exact" | "alias" | "normalised" | "word_order" | "fuzzy"


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str  # "auto" | "suggest" | "none"
    candidates: list[Candidate]  # best first; for "auto" the chosen one is candidates[0]


def normalise(text: str) -> str:
    """Casefold, NFKC, drop accents and apostrophes, turn punctuation, hyphens,
    brackets and underscores into spaces, collapse whitespace.

    ``"Project-Management"`` -> ``"project management"``; ``"C++"`` keeps its
    pluses (``"c++"``) so it does not collapse onto ``"C"``.
    """
    if text.isascii():
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = _NON_WORD.sub(" ", text.translate(_APOSTROPHES)).replace("_", " ")
    return " ".join(tok for tok in text.split() if tok.strip("+#"))


def _compact(norm: str) -> str:
    return norm.replace(" ", "")


def _word_order_key(norm: str) -> str:
    return " ".join(sorted(norm.split()))


def _grouped(keys: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """Key -> positions (in order) of the items with that key; empty keys dropped."""
    groups: dict[str, list[int]] = {}
    for number, key in enumerate(keys):
        if key:
            groups.setdefault(key, []).append(number)
    return {key: tuple(numbers) for key, numbers in groups.items()}


def _gram_codes(norms: list[str], offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(label number, trigram code) for every character trigram of each normalised label.

    Like scikit-learn's ``analyzer="char_wb", ngram_range=(3, 3)``: each word
    is padded with one space on both sides and trigrams never cross words.
    Vectorised: the labels are joined into one code-point array and a trigram
    is packed into one integer (three 21-bit code points).
    """
    text = "\x00".join(f" {norm} " for norm in norms)
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if len(cps) < 3:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint64)
    sep = cps == 0
    doc = np.cumsum(sep, dtype=np.int32)
    doc += offset
    ok = ~(sep[:-2] | sep[1:-1] | sep[2:] | (cps[1:-1] == 32))
    wide = cps.astype(np.uint64)
    codes = ((wide[:-2] << 42) | (wide[1:-1] << 21) | wide[2:])[ok]
    return doc[:-2][ok], codes


def _fuzzy_similarity(query: str, choices: list[str]) -> np.ndarray:
    """0-100 similarity of the normalised query to each normalised label.

    The better of a plain edit-distance ratio (misspellings) and the same on
    sorted words (misspelt and reordered). Where every query word starts a
    word of the label (someone still typing: "data analy", "excel"), at least
    a modest PREFIX_BASE..PREFIX_BASE+PREFIX_SPAN by how much of it is typed.
    """
    plain = process.cdist([query], choices, scorer=fuzz.ratio, dtype=np.float32)[0]
    sorted_ = process.cdist([query], choices, scorer=fuzz.token_sort_ratio, dtype=np.float32)[0]
    similarity = np.maximum(plain, sorted_)
    # Jaro-Winkler forgives transpositions: up to TIE_BREAK_WEIGHT points
    # separate "pyhton" -> "python" from "pyhton" -> "pyston" (equal ratios).
    winkler = process.cdist(
        [query], choices, scorer=JaroWinkler.normalized_similarity, dtype=np.float32
    )[0]
    similarity -= TIE_BREAK_WEIGHT * (1.0 - winkler)
    if len(query) >= PREFIX_MIN_CHARS:
        starts = [f" {w}" for w in query.split()]
        wholes = [f" {w} " for w in query.split()]
        for i, choice in enumerate(choices):
            padded = f" {choice} "
            if all(s in padded for s in starts):  # every query word starts a label word
                typed = PREFIX_BASE + PREFIX_SPAN * len(query) / len(choice)
                if all(w in padded for w in wholes):
                    typed += PREFIX_WHOLE_WORDS
                similarity[i] = max(similarity[i], min(typed, PREFIX_MAX))
    return similarity


class Normaliser:
    """An in-memory index over taxonomy labels.

    ``entries`` are ``(skill_id, label, is_preferred)``. Build is O(labels);
    a query costs a few dictionary look-ups, one sparse n-gram product over
    posting lists and a rapidfuzz re-score of a short list.
    """

    def __init__(self, entries: Iterable[tuple[int, str, bool]]):
        labels: list[str] = []
        skills: list[int] = []
        preferred: list[bool] = []
        position: dict[tuple[int, str], int] = {}
        for skill_id, label, is_preferred in entries:
            label = label.strip()
            if not label:
                continue
            key = (int(skill_id), label)
            if key in position:  # same label twice on one skill: preferred wins
                if is_preferred:
                    preferred[position[key]] = True
                continue
            position[key] = len(labels)
            labels.append(label)
            skills.append(int(skill_id))
            preferred.append(bool(is_preferred))
        self._labels = labels
        self._skills = skills
        self._preferred = preferred
        self._preferred_pairs = {(skills[i], labels[i]) for i in range(len(labels)) if preferred[i]}
        # Look-ups map a key to a tuple of numbers: tuples of ints drop out of
        # the garbage collector's tracking, so ~400k lists do not make every
        # full collection of the host process take ~60 ms.
        self._by_label = _grouped(labels)  # label as stored -> label indices
        self._by_norm = _grouped(normalise(label) for label in labels)
        # Distinct normalised labels are the unit of the fuzzy index.
        self._norms = list(self._by_norm)
        self._norm_members = tuple(self._by_norm.values())
        self._by_compact = _grouped(_compact(norm) for norm in self._norms)  # -> norm numbers
        self._by_word_order = _grouped(_word_order_key(norm) for norm in self._norms)
        self._build_ngram_index()

    # ------------------------------------------------------------------ index

    def _build_ngram_index(self) -> None:
        """Posting lists of character trigrams, tf-idf weighted, label vectors L2-normalised."""
        n_docs = len(self._norms)
        parts = [
            _gram_codes(self._norms[start : start + BUILD_CHUNK], start)
            for start in range(0, n_docs, BUILD_CHUNK)
        ]
        docs = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32)
        codes = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.uint64)
        del parts
        grams = np.unique(codes)
        n_grams = len(grams)
        gram_ids = np.searchsorted(grams, codes).astype(np.int32)
        del codes
        # Labels x trigrams term counts; the CSC columns are the posting lists.
        counts = sparse.csc_matrix(
            (np.ones(len(docs), dtype=np.float32), (docs, gram_ids)), shape=(n_docs, n_grams)
        )
        del docs, gram_ids
        counts.sum_duplicates()
        df = np.diff(counts.indptr)
        idf = (np.log((1 + n_docs) / (1 + df)) + 1.0).astype(np.float32)
        weight = (1.0 + np.log(counts.data, dtype=np.float32)) * np.repeat(idf, df)
        row = counts.indices.astype(np.int32)
        row_norm = np.sqrt(np.bincount(row, weights=np.square(weight, dtype=np.float64)))
        weight /= row_norm[row].astype(np.float32)
        self._vocab = dict(zip(grams.tolist(), range(n_grams), strict=True))
        self._idf = idf
        self._df = df
        self._post_ptr = counts.indptr.astype(np.int64)
        self._post_doc = row
        self._post_weight = weight

    def _shortlist(self, norm: str, size: int) -> np.ndarray:
        """Indices of the distinct normalised labels nearest ``norm`` by n-gram cosine."""
        if len(self._norms) <= size:
            # A small taxonomy: re-score every label. (The n-gram statistics that
            # pick a shortlist are meaningless over a few dozen labels.)
            return np.arange(len(self._norms), dtype=np.int64)
        counts: dict[int, int] = {}
        for code in _gram_codes([norm])[1].tolist():
            gid = self._vocab.get(code)
            if gid is not None:
                counts[gid] = counts.get(gid, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64)
        gids = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        qweight = (1.0 + np.log(tf)) * self._idf[gids]
        rare = self._df[gids] <= max(1, int(COMMON_NGRAM_SHARE * len(self._norms)))
        if rare.any() and not rare.all():  # very common n-grams barely rank; skip them
            gids, qweight = gids[rare], qweight[rare]
        if len(gids) > MAX_QUERY_NGRAMS:  # keep the rarest, most telling n-grams
            keep = np.argpartition(-self._idf[gids], MAX_QUERY_NGRAMS)[:MAX_QUERY_NGRAMS]
            gids, qweight = gids[keep], qweight[keep]
        starts, ends = self._post_ptr[gids], self._post_ptr[gids + 1]
        docs = np.concatenate([self._post_doc[s:e] for s, e in zip(starts, ends, strict=True)])
        weights = np.concatenate(
            [self._post_weight[s:e] * w for s, e, w in zip(starts, ends, qweight, strict=True)]
        )
        scores = np.bincount(docs, weights=weights, minlength=len(self._norms))
        touched = np.flatnonzero(scores)
        if len(touched) > size:
            # argpartition over the touched labels only: on the full array the
            # many zero ties make it ~50x slower.
            top = np.argpartition(-scores[touched], size)[:size]
            touched = touched[top]
        return touched

    # ----------------------------------------------------------------- search

    def _label_hits(self, query: str, shortlist: int) -> dict[int, tuple[float, str]]:
        """Best (score, match_type) per label index."""
        hits: dict[int, tuple[float, str]] = {}

        def offer(index: int, score: float, match_type: str) -> None:
            best = hits.get(index)
            if best is None or score > best[0]:
                hits[index] = (score, match_type)

        stripped = query.strip()
        for index in self._by_label.get(stripped, ()):
            offer(index, SCORE_EXACT, "exact" if self._preferred[index] else "alias")
        norm = normalise(stripped[:MAX_QUERY_CHARS])
        if not norm:
            return hits
        for index in self._by_norm.get(norm, ()):
            offer(index, SCORE_NORMALISED, "normalised")
        for number in self._by_compact.get(_compact(norm), ()):
            for index in self._norm_members[number]:
                offer(index, SCORE_COMPACT, "normalised")
        for number in self._by_word_order.get(_word_order_key(norm), ()):
            for index in self._norm_members[number]:
                offer(index, SCORE_WORD_ORDER, "word_order")

        numbers = self._shortlist(norm, shortlist)
        if len(numbers):
            choices = [self._norms[n] for n in numbers]
            similarity = _fuzzy_similarity(norm, choices) * FUZZY_SCALE
            if len(norm) < SHORT_QUERY_CHARS:  # one typo is too much of "splo" to trust
                np.minimum(similarity, SHORT_QUERY_FUZZY_CAP, out=similarity)
            for number, sim in zip(numbers.tolist(), similarity.tolist(), strict=True):
                score = round(sim, 2)
                if score <= 0:
                    continue
                for index in self._norm_members[number]:
                    offer(index, score, "fuzzy")
        return hits

    def _rank_key(self, index: int, score: float) -> tuple:
        label = self._labels[index]
        return (-score, not self._preferred[index], len(label), self._skills[index], label)

    def search(self, query: str, limit: int = 10) -> list[Candidate]:
        """At most one candidate per skill (its best label), best first.

        Order: score desc, preferred label before alias, shorter label, skill id.
        """
        if limit <= 0 or not query or not query.strip():
            return []
        hits = self._label_hits(query, SHORTLIST)
        best: dict[int, tuple[tuple, int, float, str]] = {}
        for index, (score, match_type) in hits.items():
            key = self._rank_key(index, score)
            skill = self._skills[index]
            current = best.get(skill)
            if current is None or key < current[0]:
                best[skill] = (key, index, score, match_type)
        ranked = sorted(best.values(), key=lambda item: item[0])[:limit]
        return [
            Candidate(self._skills[index], score, self._labels[index], match_type)
            for _, index, score, match_type in ranked
        ]

    # --------------------------------------------------------------- decide

    def is_preferred(self, candidate: Candidate) -> bool:
        """Whether the candidate matched its skill's preferred label."""
        return (candidate.skill_id, candidate.matched_label) in self._preferred_pairs

    def decide_from(
        self,
        candidates: list[Candidate],
        *,
        limit: int = 5,
        auto_threshold: float = AUTO_THRESHOLD,
        auto_margin: float = AUTO_MARGIN,
        suggest_threshold: float = SUGGEST_THRESHOLD,
    ) -> Decision:
        """The decision for an already ranked candidate list (``search`` output).

        Split from ``decide`` so the evaluation can sweep thresholds without
        searching again. ``candidates`` should hold at least two entries when
        there are two, so the margin over the runner-up can be seen.
        """
        shown = [c for c in candidates if c.score >= suggest_threshold][:limit]
        if not shown:
            return Decision("none", [])
        top = candidates[0]
        runner_up = candidates[1] if len(candidates) > 1 else None
        if top.score < auto_threshold:
            return Decision("suggest", shown)
        if runner_up is None or top.score - runner_up.score >= auto_margin:
            return Decision("auto", shown)
        if self.preferred_wins_tie(top, runner_up):
            return Decision("auto", shown)
        return Decision("suggest", shown)

    def preferred_wins_tie(self, top: Candidate, runner_up: Candidate) -> bool:
        """Two skills tie on the same label (up to normalise()), the first as its
        preferred label and the other only as an alias: the preferred one is the
        taxonomy's own answer ("project management" is the preferred label of
        one ESCO skill and an alias of another), so the margin is not needed."""
        return (
            top.score == runner_up.score
            and self.is_preferred(top)
            and not self.is_preferred(runner_up)
            and normalise(top.matched_label) == normalise(runner_up.matched_label)
        )

    def decide(self, query: str, limit: int = 5) -> Decision:
        candidates = self.search(query, limit=max(limit, 2))
        return self.decide_from(candidates, limit=limit)
