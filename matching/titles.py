"""Job title -> occupation (or role profile): the closest title, or nothing.

Pure Python over plain inputs: ``TitleIndex(entries)`` takes ``(key, label,
is_preferred)`` where ``key`` is any hashable (an occupation id, a role-profile
id), and answers ``best(title)``: a ``TitleMatch(key, score, matched_label)``, or
``None`` when nothing is close enough, so a nonsense or unknown title drafts
nothing.

Score (0-100) of a key = its best title's skill-label normaliser score
(``matching.normaliser.Normaliser``: exact, normalised, word-order and fuzzy
tiers) + WEIGHT_TITLES x 100 x the tf-idf cosine (stemmed words) of the title
and all the key's titles together (a held-out "ride maintenance engineer"
shares words with several of the theme park technician's titles though with
none alone), capped at 100 when reported. Below MIN_SCORE: ``None``.

Re-ranking: when the best score clears MIN_SCORE, the RERANKED best-scoring keys,
and with word vectors the NEAREST keys whose titles are closest in meaning, are
re-ordered and the first wins. The features (FEATURES) are the two signals above,
word overlap (idf-weighted: how much of the title the key's titles cover, how much
of the preferred title the title covers, the closest single title and what it
adds, the title's last word among the key's), paraphrase evidence learnt from the
index itself, and, given ``matching.vectors.WordVectors``, four meaning features
(the title as the idf-weighted sum of its words' vectors against the key's closest
title and the mean of its titles; word by word, each of the title's words against
the closest word of the key's titles, rarer words weighing more; the last word
alone). Paraphrases: titles differing in one span of up to SPAN words make an edit
("* operator" / "* operative", "* teacher" / "* instructor"), and each edit is
rated by how often it keeps the key (two titles of one key) against how often it
changes it (titles of two keys): "music instructor" is one well-rated edit away
from "music teacher" and one badly-rated one from "music instructor trainer".

With word vectors the re-ranker is a TreeRanker: 200 gradient-boosted trees over
each feature and its distance behind the best candidate's, fitted by
``benchmarks/extract_eval.py --tune-titles`` (scikit-learn, fixed random state) on
the held-out titles of seeds 20251216 and 20251218-20251222, leaving out the titles
the reported and check seeds hold out, and shipped as RANKER_FILE. Without them it
is linear over the nine word features (LEXICAL_RERANK_WEIGHTS: listwise softmax on
seed 20251216, L-BFGS from zeros). The paraphrase table (about 70 MiB and 6 s for
ESCO's 35,811 titles) and the meaning vectors are built with the index.

``.venv/bin/python benchmarks/extract_eval.py --only titles`` (ESCO v1.1.1,
3,007 occupations; 2,000 alternative titles sampled with the seed and held out
of the index, then queried; a title ESCO gives to several occupations counts
for any of them; 500 random letter strings). Reported seed 20251215, with the
check seed 20251217 (never trained on) for top-1:

=======================================  =====  ========  ======================  =====
method                                   top-1  no match  random strings -> None  check
=======================================  =====  ========  ======================  =====
normaliser's best title alone            0.670  0.043     0.996                   0.638
+ cosine of all the key's titles         0.790  0.005     0.996                   0.788
+ linear re-ranker, words only           0.844  0.005     0.996                   0.837
+ word vectors, tree re-ranker (shipped) 0.858  0.005     0.996                   0.856
=======================================  =====  ========  ======================  =====

Two further unseen seeds (20251223, 20251224) give 0.867 and 0.851. The same four
meaning features in the linear re-ranker gave 0.846 and 0.838; the trees' gain is
in how the features combine. Tried and left out, each measured on held-out seeds:
the occupation's description as a third cosine (+0.002), character n-grams
(nothing), the ESCO ISCO group's titles, ISCO groups of the UK SOC 2020 coding
index's 32,000 titles and the occupation hierarchy as features (nothing; +0.002
at most), an LSA cosine (nothing), the number of a key's titles (nothing),
paraphrase spans of three words (+0.007 on one seed, -0.004 on another), two
chained edits (+0.002, slow), 20 candidates instead of 10 (nothing), word-order
features (bigrams, same last word as the closest title: nothing), binned features
and pairwise products in the linear re-ranker (nothing), a small neural network
over the same inputs (0.851 / 0.848, below the trees). Most misses left are titles
ESCO gives one occupation that read as another's ("events planner" is the wedding
planner's, not the event manager's).
"""

from __future__ import annotations

import math
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.extract import analyse_words, content_words
from matching.normaliser import Normaliser
from matching.vectors import WordVectors

__all__ = ["MIN_SCORE", "TitleIndex", "TitleMatch", "TreeRanker"]

# Chosen by benchmarks/extract_eval.py --tune-titles --seed 20251216.
WEIGHT_TITLES = 0.5  # x 100 x cosine of the title and all the key's titles
MIN_SCORE = 70.0  # a title scoring less matches nothing
CANDIDATES = 30  # keys the normaliser and each cosine put forward
RERANKED = 10  # the best-scoring keys the re-ranker chooses among
NEAREST = 5  # with word vectors, it also chooses among the keys nearest in meaning
SPAN = 2  # a paraphrase edit replaces up to SPAN words with up to SPAN others
BUSY_TEMPLATE = 300  # templates shared by more titles are not searched for cross-key edits
UNSEEN_RATE = 1 / 3  # an edit never seen within a key, and at most once across keys

# The re-ranker: a linear score over FEATURES, fitted (listwise softmax, no penalty) by
# benchmarks/extract_eval.py --tune-titles --seed 20251216 on that seed's held-out titles.
FEATURES = (
    "normaliser",  # the best title's normaliser score / 100 (0 when not a candidate)
    "cosine",  # tf-idf cosine of the title and all the key's titles
    "coverage",  # idf share of the title's words found in the key's titles
    "label_coverage",  # idf share of the preferred title's words found in the title
    "closest",  # best idf-weighted Jaccard of the title with one of the key's titles
    "closest_extra",  # idf share of that closest title's words missing from the title
    "head_any",  # the title's last word is in one of the key's titles
    "paraphrase",  # best rate at which a one-span edit reaching a key's title keeps the key
    "paraphrased",  # some one-span edit reaches one of the key's titles
    # With word vectors (matching.vectors), each title is the idf-weighted sum of its
    # content words' vectors:
    "meaning_closest",  # best cosine of the title with one of the key's titles
    "meaning_titles",  # cosine of the title with the mean of the key's titles
    "meaning_coverage",  # idf-weighted mean, over the title's words, of the best cosine
    #                      with a word of the key's titles
    "meaning_head",  # that best cosine for the title's last word
)
LEXICAL_FEATURES = FEATURES[:9]  # what the re-ranker has without word vectors
# Without word vectors: a linear score over LEXICAL_FEATURES.
LEXICAL_RERANK_WEIGHTS = (12.12, 3.63, 3.60, 1.01, -0.88, -0.32, 0.29, 6.61, -1.60)
# With them: gradient-boosted trees over FEATURES and each one's distance behind the
# best candidate's, fitted by benchmarks/extract_eval.py --tune-titles (TreeRanker).
RANKER_FILE = Path(__file__).with_name("title_ranker.npz")


@dataclass(frozen=True, slots=True)
class TitleMatch:
    key: Hashable
    score: float  # 0-100, the normaliser's score
    matched_label: str  # the title (preferred or alternative) that matched, as stored


class TitleIndex:
    """An immutable index over titles; one instance serves concurrent readers."""

    def __init__(
        self,
        entries: Iterable[tuple[Hashable, str, bool]],
        *,
        min_score: float = MIN_SCORE,
        weight_titles: float = WEIGHT_TITLES,
        rerank_weights: Iterable[float] | None = None,
        vectors: WordVectors | None = None,
        ranker: TreeRanker | None = None,
    ):
        """``vectors`` adds the meaning features and candidates; the re-ranker is then
        ``ranker`` (default: the shipped TreeRanker). Without vectors it is linear over
        LEXICAL_FEATURES with ``rerank_weights`` (default LEXICAL_RERANK_WEIGHTS); pass
        ``rerank_weights=()`` for no re-ranking at all."""
        keys: list[Hashable] = []
        number: dict[Hashable, int] = {}
        rows = []
        titles: list[list[str]] = []
        preferred: dict[int, str] = {}
        for key, label, is_preferred in entries:
            if not label or not label.strip():
                continue
            if key not in number:
                number[key] = len(keys)
                keys.append(key)
                titles.append([])
            rows.append((number[key], label, is_preferred))
            titles[number[key]].append(label)
            if is_preferred:
                preferred.setdefault(number[key], label)
        self._keys = keys
        self._index = Normaliser(rows)
        self._min_score = min_score
        self._weight_titles = weight_titles
        self._titles = _Cosine([" ; ".join(t) for t in titles])
        self._meanings = _Meanings(titles, vectors) if vectors is not None else None
        self.features = FEATURES if self._meanings else LEXICAL_FEATURES
        weights = None if rerank_weights is None else tuple(rerank_weights)
        self._ranker: TreeRanker | _Linear | None = None
        if weights == ():
            self._ranker = None
        elif self._meanings and weights is None:
            self._ranker = ranker or TreeRanker.shipped()
            if self._ranker.features != FEATURES:
                raise ValueError("the ranker was fitted on other features")
        else:
            self._ranker = _Linear(weights or LEXICAL_RERANK_WEIGHTS, len(self.features))
        self._words = _Words(titles, preferred)
        self._paraphrases = _Paraphrases(
            (n, label) for n, labels in enumerate(titles) for label in labels
        )

    def scores(self, title: str) -> tuple[np.ndarray, list[str | None]]:
        """Every key's score (``keys`` order) and the title of each that matched."""
        score, labels, _ = self._scores(title)
        return score, labels

    def _scores(self, title: str) -> tuple[np.ndarray, list[str | None], np.ndarray]:
        normaliser = np.zeros(len(self._keys))
        labels: list[str | None] = [None] * len(self._keys)
        for candidate in self._index.search(title, limit=CANDIDATES):
            normaliser[candidate.skill_id] = candidate.score
            labels[candidate.skill_id] = candidate.matched_label
        cosine = self._titles.similarity(title)
        score = normaliser + self._weight_titles * 100 * cosine
        return score, labels, np.stack([normaliser / 100, cosine])

    def candidates(self, title: str) -> tuple[list[int], np.ndarray, float]:
        """The RERANKED best-scoring keys (numbers into ``keys``), their FEATURES
        (one row each) and the best score, which decides "no match"."""
        order, features, score, _ = self._candidates(title)
        return order, features, float(score[order[0]]) if order else 0.0

    def _candidates(self, title: str):
        score, labels, signals = self._scores(title)
        order = [int(n) for n in np.argsort(-score, kind="stable")[:RERANKED] if score[n] > 0]
        meaning = self._meanings.query(title) if self._meanings and order else None
        if meaning is not None:
            order += [n for n in self._meanings.nearest(meaning, NEAREST) if n not in order]
        words = analyse_words(title)
        paraphrases = self._paraphrases.rates(words) if order else {}
        rows = []
        for n in order:
            rate = paraphrases.get(n)
            rows.append(
                (
                    *signals[:, n],
                    *self._words.features(words, n),
                    rate or 0.0,
                    float(rate is not None),
                    *(self._meanings.features(meaning, n) if self._meanings else ()),
                )
            )
        return order, np.asarray(rows).reshape(len(order), len(self.features)), score, labels

    def best(self, title: str) -> TitleMatch | None:
        if not title or not title.strip() or not self._keys:
            return None
        if self._ranker is not None:
            # "No match" is decided on the best score; the re-ranker then picks among
            # the RERANKED best, and the chosen key's own score is reported.
            order, features, score, labels = self._candidates(title)
            if not order or score[order[0]] < self._min_score:
                return None
            top = order[int(np.argmax(self._ranker.score(features)))]
        else:
            score, labels = self.scores(title)
            top = int(np.argmax(score))
            if score[top] < self._min_score:
                return None
        return self._match(top, float(score[top]), labels[top])

    def _match(self, number: int, score: float, label: str | None) -> TitleMatch:
        label = label or self._titles.best_label(number)
        return TitleMatch(self._keys[number], round(min(score, 100.0), 2), label)


class _Linear:
    def __init__(self, weights: Iterable[float], size: int):
        self._weights = np.asarray(tuple(weights), dtype=float)
        if self._weights.size != size:
            raise ValueError(f"rerank_weights needs {size} weights")

    def score(self, features: np.ndarray) -> np.ndarray:
        return features @ self._weights


class TreeRanker:
    """Gradient-boosted regression trees scoring candidates, evaluated in numpy.

    Each candidate's inputs are its FEATURES followed by each feature minus the best
    value among the candidates (how far behind the leader it is: the trees see one
    candidate at a time). A tree's nodes send a row left when its input is at most the
    node's threshold; the score is the sum of the leaves reached. The arrays come from
    scikit-learn's HistGradientBoostingClassifier, fitted and exported by
    ``benchmarks/extract_eval.py --tune-titles`` into RANKER_FILE."""

    _shipped: TreeRanker | None = None
    _lock = threading.Lock()

    def __init__(self, features, feature, threshold, left, right, value, roots):
        self.features = tuple(features)
        self._feature = np.asarray(feature, dtype=np.intp)
        self._threshold = np.asarray(threshold, dtype=float)
        self._left = np.asarray(left, dtype=np.intp)
        self._right = np.asarray(right, dtype=np.intp)
        self._value = np.asarray(value, dtype=float)
        self._roots = np.asarray(roots, dtype=np.intp)
        if self._feature.size and self._feature.max() >= 2 * len(self.features):
            raise ValueError("a node reads an input the features do not give")
        # A leaf points at itself, so every row can take the deepest tree's steps.
        self._steps = self._depth()

    def _depth(self) -> int:
        depth = np.zeros(len(self._feature), dtype=np.intp)
        for node in range(len(self._feature)):  # children always follow their parent
            for child in (self._left[node], self._right[node]):
                if child != node:
                    depth[child] = depth[node] + 1
        return int(depth.max()) if depth.size else 0

    @classmethod
    def load(cls, path: str | Path) -> TreeRanker:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                str(data["features"]).split(),
                data["feature"],
                data["threshold"],
                data["left"],
                data["right"],
                data["value"],
                data["roots"],
            )

    @classmethod
    def from_sklearn(cls, model, features) -> TreeRanker:
        """The trees of a fitted binary HistGradientBoostingClassifier over
        ``inputs(features)`` (scikit-learn keeps them in ``_predictors``: one node table
        per tree). Its scores differ from the model's decision function by a constant."""
        columns: dict[str, list[np.ndarray]] = {
            name: [] for name in ("feature", "threshold", "left", "right", "value")
        }
        roots, offset = [], 0
        for (predictor,) in model._predictors:
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise ValueError("categorical splits are not supported")
            here = np.arange(offset, offset + len(nodes))
            leaf = nodes["is_leaf"].astype(bool)
            columns["feature"].append(np.where(leaf, 0, nodes["feature_idx"]))
            columns["threshold"].append(np.where(leaf, np.inf, nodes["num_threshold"]))
            columns["left"].append(np.where(leaf, here, offset + nodes["left"]))
            columns["right"].append(np.where(leaf, here, offset + nodes["right"]))
            columns["value"].append(np.where(leaf, nodes["value"], 0.0))
            roots.append(offset)
            offset += len(nodes)
        return cls(features, *(np.concatenate(c) for c in columns.values()), roots)

    @classmethod
    def shipped(cls) -> TreeRanker:
        with cls._lock:
            if cls._shipped is None:
                cls._shipped = cls.load(RANKER_FILE)
            return cls._shipped

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            features=np.array(" ".join(self.features)),
            feature=self._feature.astype(np.int16),
            threshold=self._threshold,
            left=self._left.astype(np.int32),
            right=self._right.astype(np.int32),
            value=self._value,
            roots=self._roots.astype(np.int32),
        )

    @staticmethod
    def inputs(features: np.ndarray) -> np.ndarray:
        return np.hstack([features, features - features.max(axis=0)])

    def score(self, features: np.ndarray) -> np.ndarray:
        inputs = self.inputs(features)
        rows = np.arange(len(inputs))[:, None]
        node = np.broadcast_to(self._roots, (len(inputs), len(self._roots)))
        for _ in range(self._steps):
            go_left = inputs[rows, self._feature[node]] <= self._threshold[node]
            node = np.where(go_left, self._left[node], self._right[node])
        return self._value[node].sum(axis=1)


class _Words:
    """Word-overlap features of a title against one key's titles (stemmed content
    words, weighted by their inverse frequency over all titles)."""

    def __init__(self, titles: list[list[str]], preferred: dict[int, str]):
        self._title_words = [[frozenset(analyse_words(t)) for t in ts] for ts in titles]
        frequency = Counter(w for ts in self._title_words for words in ts for w in words)
        count = sum(len(ts) for ts in self._title_words)
        self._idf = {w: math.log((count + 1) / (f + 1)) + 1 for w, f in frequency.items()}
        self._unseen = math.log(count + 1) + 1
        self._vocabulary = [frozenset().union(*ts) for ts in self._title_words]
        self._preferred = [
            frozenset(analyse_words(preferred.get(n) or (ts[0] if ts else "")))
            for n, ts in enumerate(titles)
        ]

    def _weight(self, words: Iterable[str]) -> float:
        return sum(self._idf.get(w, self._unseen) for w in words)

    def features(self, words: list[str], n: int) -> tuple[float, ...]:
        query = frozenset(words)
        head = words[-1] if words else ""
        preferred = self._preferred[n]
        closest, extra = 0.0, 1.0
        for title in self._title_words[n]:
            jaccard = self._weight(title & query) / (self._weight(title | query) or 1.0)
            if jaccard > closest:
                closest = jaccard
                extra = self._weight(title - query) / (self._weight(title) or 1.0)
        return (
            self._weight(query & self._vocabulary[n]) / (self._weight(query) or 1.0),
            self._weight(preferred & query) / (self._weight(preferred) or 1.0),
            closest,
            extra,
            float(bool(head) and any(head in title for title in self._title_words[n])),
        )


class _Meanings:
    """Word-vector features of a title against one key's titles: unstemmed content
    words known to the vectors, weighted by their inverse frequency over all titles
    (so "vinyl tile installer" is near "resilient floor layer" though it shares no
    word with it)."""

    def __init__(self, titles: list[list[str]], vectors: WordVectors):
        self._vectors = vectors
        words = [[vectors.known(content_words(t)) for t in ts] for ts in titles]
        frequency = Counter(w for ts in words for title in ts for w in set(title))
        count = sum(len(ts) for ts in words)
        self._idf = {w: math.log((count + 1) / (f + 1)) + 1 for w, f in frequency.items()}
        self._unseen = math.log(count + 1) + 1
        empty = np.zeros((0, vectors.dimensions), dtype=np.float32)
        self._titles = []  # per key: one unit vector per title with a known word
        self._centres = np.zeros((len(titles), vectors.dimensions), dtype=np.float32)
        self._words = []  # per key: the unit vectors of its titles' distinct words
        for n, ts in enumerate(words):
            embedded = [v for v in map(self._embed, ts) if v is not None]
            self._titles.append(np.stack(embedded) if embedded else empty)
            if embedded:
                centre = self._titles[n].mean(axis=0)
                self._centres[n] = centre / (np.linalg.norm(centre) or 1.0)
            self._words.append(vectors.rows(sorted({w for title in ts for w in title})))

    def _embed(self, words: list[str]) -> np.ndarray | None:
        if not words:
            return None
        weights = np.array([self._idf.get(w, self._unseen) for w in words], dtype=np.float32)
        total = weights @ self._vectors.rows(words)
        norm = float(np.linalg.norm(total))
        return total / norm if norm else None

    def query(self, title: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(the title's vector, its known words' vectors, their weights), or None."""
        words = self._vectors.known(content_words(title))
        vector = self._embed(words)
        if vector is None:
            return None
        weights = np.array([self._idf.get(w, self._unseen) for w in words])
        return vector, self._vectors.rows(words), weights / weights.sum()

    def nearest(self, query, limit: int) -> list[int]:
        """The ``limit`` keys whose titles' mean is closest to the title's vector."""
        similarity = self._centres @ query[0]
        top = np.argpartition(-similarity, limit)[:limit] if limit < len(similarity) else None
        top = np.arange(len(similarity)) if top is None else top
        return [int(n) for n in top[np.argsort(-similarity[top], kind="stable")]]

    def features(self, query, n: int) -> tuple[float, float, float, float]:
        """The four meaning features of ``query`` (from ``query()``) for key ``n``;
        all 0 when the title or the key has no word the vectors know."""
        titles, words = self._titles[n], self._words[n]
        if query is None or not len(words):
            return 0.0, 0.0, 0.0, 0.0
        vector, rows, weights = query
        best = (rows @ words.T).max(axis=1)
        return (
            float((titles @ vector).max()),
            float(self._centres[n] @ vector),
            float(best @ weights),
            float(best[-1]),
        )


def _templates(words: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(template, span) for every span of 0..SPAN words that leaves a word standing."""
    for i in range(len(words) + 1):
        for length in range(min(SPAN, len(words) - i) + 1):
            if length == len(words):
                continue
            template = " ".join(words[:i]) + " * " + " ".join(words[i + length :])
            yield template, " ".join(words[i : i + length])


class _Paraphrases:
    """One-span edits between titles, and how often each keeps the key.

    Two titles that differ in one span of up to SPAN words ("quarry * operative"
    with "machine" / "plant") make an edit. Counted over the index: how many keys
    hold both sides of an edit among their own titles ("operator" / "operative"
    often) against how many pairs of different keys differ by it ("operator" /
    "manager" mostly). A title's rate for a key is the best smoothed share, over
    the edits that turn it into one of the key's titles."""

    def __init__(self, numbered_titles: Iterable[tuple[int, str]]):
        templates: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for n, title in numbered_titles:
            words = tuple(analyse_words(title))
            for template, span in _templates(words):
                templates[template].append((n, sys.intern(span)))
        same: Counter[tuple[str, str]] = Counter()
        different: Counter[tuple[str, str]] = Counter()
        for group in templates.values():
            if len(group) < 2:
                continue
            spans_of: dict[int, set[str]] = defaultdict(set)
            for n, span in group:
                spans_of[n].add(span)
            for spans in spans_of.values():
                ordered = sorted(spans)
                for i, a in enumerate(ordered):
                    for b in ordered[i + 1 :]:
                        same[a, b] += 1
            if len(group) > BUSY_TEMPLATE:
                continue
            seen = set()
            for i, (n1, a) in enumerate(group):
                for n2, b in group[i + 1 :]:
                    if n1 == n2 or a == b:
                        continue
                    pair = (a, b) if a < b else (b, a)
                    if (pair, n1, n2) not in seen:
                        seen.add((pair, n1, n2))
                        different[pair] += 1
        self._templates = {template: tuple(group) for template, group in templates.items()}
        # Kept: the edits seen within a key or across keys at least twice; any other
        # edit (never or once across keys, never within) rates UNSEEN_RATE.
        self._rates = {
            f"{a}\t{b}": (same[a, b] + 1) / (same[a, b] + different[a, b] + 2)
            for a, b in set(same) | {pair for pair, count in different.items() if count > 1}
        }

    def rate(self, a: str, b: str) -> float:
        return self._rates.get(f"{a}\t{b}" if a < b else f"{b}\t{a}", UNSEEN_RATE)

    def rates(self, words: list[str]) -> dict[int, float]:
        """Key number -> the best rate of an edit turning ``words`` into its title."""
        best: dict[int, float] = {}
        for template, span in _templates(tuple(words)):
            for n, other in self._templates.get(template, ()):
                if other != span:
                    rate = self.rate(span, other)
                    if rate > best.get(n, -1.0):
                        best[n] = rate
        return best


class _Cosine:
    """Tf-idf cosine (stemmed content words) of a query and each document."""

    def __init__(self, documents: list[str]):
        self._documents = documents
        self._vectoriser = TfidfVectorizer(analyzer=analyse_words, sublinear_tf=True)
        try:
            self._matrix = self._vectoriser.fit_transform(documents).T.tocsr()
        except ValueError:  # no document holds a content word
            self._matrix = None

    def similarity(self, query: str) -> np.ndarray:
        if self._matrix is None:
            return np.zeros(len(self._documents))
        return (self._vectoriser.transform([query]) @ self._matrix).toarray().ravel()

    def best_label(self, number: int) -> str:
        return self._documents[number].split(" ; ")[0]
