"""Skill extraction from free text: which taxonomy skills a passage talks about.

Pure Python over plain inputs. ``Extractor(labels, descriptions, occupations)``
takes the skills' labels as the normaliser does (``(skill_id, label,
is_preferred)``), optionally each skill's description, and optionally
occupation profiles ``(description, essential_skill_ids, optional_skill_ids)``;
``extract(text, limit)`` answers ranked ``Hit(skill_id, score, span,
matched_label)``, at most one per skill. ``span`` is the ``(start, end)``
character offsets in the original text of the phrase (or, failing a phrase,
the sentence) that supports the hit. The index is immutable once built, so
one instance serves concurrent readers; rebuild it when the taxonomy changes.

Four signals, each in 0..1, summed with the weights below (score 0..1):

phrase      A skill label said in the text. Every word n-gram of a clause (up
            to the longest label) is looked up, normalised with
            ``normaliser.normalise`` (the label index's own key), then by its
            stemmed content words in order, then in any order ("management of
            staff" finds "manage staff"). Overlapping phrases: the longest
            wins its words; a shorter phrase inside it is dropped.
coverage    The share (idf-weighted) of a label's stemmed content words found
            in one sentence of the text, squared: a label said with words in
            between or in another order.
neighbours  Occupations whose descriptions read like the text (tf-idf cosine
            over stemmed words and word pairs): the weighted share of the
            NEIGHBOURS nearest that lists the skill as essential (optional:
            OPTIONAL_WEIGHT). Without ``occupations`` this signal is absent.
similarity  Plain tf-idf cosine of the text and the skill's labels plus
            description (the benchmark's baseline, scaled to its best skill).

Measured by ``benchmarks/extract_eval.py`` (ESCO v1.1.1: 13,896 skills with
their labels and descriptions, 3,007 occupations; 300 occupations sampled
with seed 20251215, each one's description the text and its essential skills
the truth). The 300 evaluated occupations are HELD OUT of the extractor's
occupation profiles in the evaluation, so the neighbours signal never sees
the occupation it is asked about (or its skill list); the weights were set on
a different sample (seed 20251216, also held out). In production the
extractor is built from every occupation in the taxonomy.

``.venv/bin/python benchmarks/extract_eval.py`` (seed 20251215, 300 occupations):

=========================================  =========  ============
method                                     recall@20  precision@10
=========================================  =========  ============
plain TF-IDF (text vs labels+description)  0.184      0.245
Extractor (all four signals)               0.452      0.546
=========================================  =========  ============

2.45x and 2.23x the baseline. On the tuning sample (seed 20251216) the
neighbours signal carries most of it: neighbours + similarity alone 0.459 /
0.544, the phrase and coverage weights add nothing measurable there (ESCO
descriptions seldom name a skill's label) and are kept small, since on a CV
they are what finds "Python" and "managed staff"; phrase 0.2 already cost
0.014 / 0.023. Extract time for 300 words, 20 hits: p50 23-25 ms, p95 27-34 ms on
the idle 2-core build machine (p50 88-94 ms, p95 115-129 ms at load average 8);
build ~5-10 s, ~120 MB, over ESCO's 13,896 skills, 97,483 alternative labels
and 3,007 occupations.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import snowballstemmer
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from matching.normaliser import normalise

__all__ = ["Extractor", "Hit"]

# Signal weights, chosen by benchmarks/extract_eval.py --tune --seed 20251216 (a sample
# other than the reported one); NEIGHBOURS and NEIGHBOUR_POWER by the same sweep.
WEIGHT_PHRASE = 0.1
WEIGHT_COVERAGE = 0.03
WEIGHT_NEIGHBOURS = 1.0
WEIGHT_SIMILARITY = 0.15

# Phrase tiers: a label verbatim (after normalise), its stems in order, in any order.
PHRASE_NORMALISED = 1.0
PHRASE_STEMMED = 0.9
PHRASE_ANY_ORDER = 0.8
ONE_WORD_PHRASE = 0.6  # a one-word label is a weaker sign ("design", "sales")

MAX_PHRASE_WORDS = 8  # n-grams longer than this are not looked up
NEIGHBOURS = 25  # nearest occupations that vote
NEIGHBOUR_POWER = 2.0  # a vote weighs cosine ** this: close occupations count most
OPTIONAL_WEIGHT = 0.25  # an optional skill's vote, against 1 for an essential one
MIN_SCORE = 0.05  # hits below this are not returned (nonsense text answers nothing)
MAX_TEXT_CHARS = 50_000  # longer texts are cut here

_TOKEN = re.compile(r"\w[\w+#]*(?:['\u2019]\w+)*")  # normalise() keeps + and # (C++, C#)
# A phrase never crosses punctuation: "the project, management said" names no skill.
_CLAUSE = re.compile(r"[^.!?;:,()\[\]\n\r\t\u2022|/]+")
_SENTENCE_BREAK = re.compile(r"(?:[.!?;]+(?=\s|$)|\n\s*\n|\n\s*[-*\u2022]|\u2022)")
_STOP = frozenset(ENGLISH_STOP_WORDS) - {"system", "computer", "fire", "interest", "bill"}

_local = threading.local()


@dataclass(frozen=True, slots=True)
class Hit:
    skill_id: int
    score: float  # 0-1, higher is better
    span: tuple[int, int]  # character offsets in the text of the supporting phrase
    matched_label: str  # the label (as stored) that supports the hit


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # snowballstemmer keeps per-call state on the stemmer object: one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)


def _content_stems(norm_words: Iterable[str]) -> list[str]:
    return [_stem(w) for w in norm_words if w not in _STOP]


def _analyse(text: str) -> list[str]:
    """Stemmed content words and adjacent pairs: the tf-idf vocabulary."""
    stems = _content_stems(normalise(text).split())
    return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)]


def analyse_words(text: str) -> list[str]:
    """Stemmed content words of a text (shared with matching.titles)."""
    return _content_stems(normalise(text).split())


# Only the grammar words: for word vectors, "back" in "back office" is content.
_FUNCTION_WORDS = frozenset(
    ("a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the")
    + ("to", "with")
)


def content_words(text: str) -> list[str]:
    """The words of a text but its grammar words, unstemmed (for word vectors)."""
    return [w for w in normalise(text).split() if w not in _FUNCTION_WORDS]


@dataclass(frozen=True, slots=True)
class _Token:
    norm: str
    stem: str  # "" for a stop word
    start: int
    end: int


def _tokens(text: str) -> list[list[_Token]]:
    """Clauses of normalised tokens with their offsets in the original text."""
    clauses: list[list[_Token]] = []
    for region in _CLAUSE.finditer(text):
        start = region.start()
        clause = []
        for match in _TOKEN.finditer(region.group()):
            norm = normalise(match.group())
            if not norm:
                continue
            # Mostly one word ("don't" -> "dont"); "data_set" gives two, sharing the span.
            for word in norm.split():
                stem = "" if word in _STOP else _stem(word)
                clause.append(_Token(word, stem, start + match.start(), start + match.end()))
        if clause:
            clauses.append(clause)
    return clauses


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _SENTENCE_BREAK.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        chunk = text[s:e]
        stripped = chunk.strip()
        if stripped:
            s += len(chunk) - len(chunk.lstrip())
            out.append((s, s + len(stripped)))
    return out


@dataclass(frozen=True, slots=True)
class _Signals:
    text: str
    sentences: list[tuple[int, int]]
    phrases: dict[int, tuple[float, int, int, int]]  # skill column -> (strength, label, start, end)
    cover_label: np.ndarray  # skill column -> label number of its best coverage, or -1
    cover_sentence: np.ndarray  # ... and the sentence it was found in
    values: np.ndarray  # 4 x skills: phrase, coverage, neighbours, similarity


class Extractor:
    """An in-memory index over skill labels, descriptions and occupation profiles.

    ``labels``: ``(skill_id, label, is_preferred)``. ``descriptions``: skill
    id -> description (optional). ``occupations``: ``(description,
    essential_skill_ids, optional_skill_ids)`` (optional; skills not among the
    labels are ignored).
    """

    def __init__(
        self,
        labels: Iterable[tuple[int, str, bool]],
        descriptions: Mapping[int, str] | None = None,
        occupations: Iterable[tuple[str, Iterable[int], Iterable[int]]] = (),
        *,
        weights: tuple[float, float, float, float] | None = None,
    ):
        descriptions = descriptions or {}
        self._weights = np.asarray(
            weights or (WEIGHT_PHRASE, WEIGHT_COVERAGE, WEIGHT_NEIGHBOURS, WEIGHT_SIMILARITY)
        )
        skill_ids: list[int] = []
        column: dict[int, int] = {}
        label_text: list[str] = []
        label_skill: list[int] = []  # label number -> skill column
        label_preferred: list[bool] = []
        seen: set[tuple[int, str]] = set()
        for skill_id, label, is_preferred in labels:
            label = label.strip()
            skill_id = int(skill_id)
            if not label or (skill_id, label) in seen:
                continue
            seen.add((skill_id, label))
            if skill_id not in column:
                column[skill_id] = len(skill_ids)
                skill_ids.append(skill_id)
            label_text.append(label)
            label_skill.append(column[skill_id])
            label_preferred.append(bool(is_preferred))
        self._skill_ids = np.asarray(skill_ids, dtype=np.int64)
        self._column = column
        self._label_text = label_text
        self._label_skill = np.asarray(label_skill, dtype=np.int64)
        self._label_preferred = label_preferred
        n_skills = len(skill_ids)

        # Phrase keys -> label numbers, preferred labels first.
        order = sorted(range(len(label_text)), key=lambda i: not label_preferred[i])
        self._by_norm: dict[str, list[int]] = {}
        self._by_stems: dict[str, list[int]] = {}
        self._by_stem_set: dict[str, list[int]] = {}
        label_stems: list[list[str]] = [[] for _ in label_text]
        longest = 1
        for i in order:
            norm = normalise(label_text[i])
            if not norm:
                continue
            words = norm.split()
            longest = max(longest, len(words))
            stems = _content_stems(words)
            label_stems[i] = stems
            self._by_norm.setdefault(norm, []).append(i)
            if stems:
                self._by_stems.setdefault(" ".join(stems), []).append(i)
                self._by_stem_set.setdefault(" ".join(sorted(set(stems))), []).append(i)
        self._max_words = min(longest, MAX_PHRASE_WORDS)
        # Skill column -> its preferred label number (its first label if none is preferred).
        self._preferred = [-1] * n_skills
        for i in reversed(order):
            self._preferred[label_skill[i]] = i

        # Coverage: labels x stems, idf-weighted rows summing to 1.
        vocab: dict[str, int] = {}
        rows, cols = [], []
        for i, stems in enumerate(label_stems):
            for stem in set(stems):
                rows.append(i)
                cols.append(vocab.setdefault(stem, len(vocab)))
        df = np.bincount(cols, minlength=len(vocab)).astype(np.float64)
        idf = np.log((1 + len(label_text)) / (1 + df)) + 1.0
        data = idf[cols]
        cover = sparse.csr_matrix((data, (rows, cols)), shape=(len(label_text), len(vocab)))
        totals = np.asarray(cover.sum(axis=1)).ravel()
        totals[totals == 0] = 1.0
        self._cover = sparse.diags(1.0 / totals) @ cover
        self._cover_t = self._cover.T.tocsr()
        self._stem_vocab = vocab

        # Similarity: tf-idf of each skill's labels + description.
        docs = [[] for _ in range(n_skills)]
        for i, label in enumerate(label_text):
            docs[label_skill[i]].append(label)
        for skill_id, text in descriptions.items():
            if skill_id in column and text:
                docs[column[skill_id]].append(text)
        self._skill_vectoriser = TfidfVectorizer(
            analyzer=analyse_words, sublinear_tf=True, dtype=np.float32
        )
        self._skill_matrix = (
            self._skill_vectoriser.fit_transform([" . ".join(d) for d in docs]).T.tocsr()
            if n_skills
            else None
        )

        # Neighbours: occupation descriptions -> skill votes.
        texts, votes_rows, votes_cols, votes_data = [], [], [], []
        for description, essential, optional in occupations:
            if not description or not description.strip():
                continue
            number = len(texts)
            texts.append(description)
            weights: dict[int, float] = {}
            for skill_id in optional:
                if int(skill_id) in column:
                    weights[column[int(skill_id)]] = OPTIONAL_WEIGHT
            for skill_id in essential:
                if int(skill_id) in column:
                    weights[column[int(skill_id)]] = 1.0
            votes_rows += [number] * len(weights)
            votes_cols += list(weights)
            votes_data += list(weights.values())
        if texts:
            self._occ_vectoriser = TfidfVectorizer(
                analyzer=_analyse, sublinear_tf=True, min_df=1, dtype=np.float32
            )
            self._occ_matrix = self._occ_vectoriser.fit_transform(texts).T.tocsr()
            self._votes = sparse.csr_matrix(
                (votes_data, (votes_rows, votes_cols)), shape=(len(texts), n_skills)
            )
        else:
            self._occ_vectoriser = None

    # ----------------------------------------------------------------- signals

    def _phrases(self, clauses: list[list[_Token]]) -> dict[int, tuple[float, int, int, int]]:
        """Skill column -> (strength, label number, start, end) of its best phrase."""
        found: list[tuple[int, int, int, int, float, list[int]]] = []  # length, clause, i, j
        for c, clause in enumerate(clauses):
            n = len(clause)
            for i in range(n):
                for j in range(i + 1, min(n, i + self._max_words) + 1):
                    words = clause[i:j]
                    if not words[0].stem or not words[-1].stem:
                        continue  # a phrase neither starts nor ends on a stop word
                    norm = " ".join(t.norm for t in words)
                    labels = self._by_norm.get(norm)
                    strength = PHRASE_NORMALISED
                    if labels is None:
                        stems = [t.stem for t in words if t.stem]
                        labels = self._by_stems.get(" ".join(stems))
                        strength = PHRASE_STEMMED
                        if labels is None and len(stems) > 1:
                            labels = self._by_stem_set.get(" ".join(sorted(set(stems))))
                            strength = PHRASE_ANY_ORDER
                    if labels:
                        if j - i == 1:
                            strength *= ONE_WORD_PHRASE
                        found.append((j - i, c, i, j, strength, labels))
        # Longest first: a phrase inside a longer one already taken is dropped
        # ("data analysis" hides "analysis"); phrases that only cross both stay.
        found.sort(key=lambda f: (-f[0], f[1], f[2]))
        taken: list[tuple[int, int, int]] = []
        best: dict[int, tuple[float, int, int, int]] = {}
        for length, c, i, j, strength, labels in found:
            if any(tc == c and ti <= i and j <= tj and tj - ti > length for tc, ti, tj in taken):
                continue
            taken.append((c, i, j))
            start, end = clauses[c][i].start, clauses[c][j - 1].end
            for label in labels:
                col = int(self._label_skill[label])
                if col not in best or strength > best[col][0]:
                    best[col] = (strength, label, start, end)
        return best

    def _coverage(
        self, text: str, sentences: list[tuple[int, int]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per skill: best coverage, its label number and sentence number."""
        cols, rows = [], []
        for number, (s, e) in enumerate(sentences):
            for stem in set(analyse_words(text[s:e])):
                col = self._stem_vocab.get(stem)
                if col is not None:
                    rows.append(col)
                    cols.append(number)
        n_skills = len(self._skill_ids)
        best = np.zeros(n_skills)
        best_label = np.full(n_skills, -1)
        best_sentence = np.zeros(n_skills, dtype=np.int64)
        if not rows:
            return best, best_label, best_sentence
        present = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(self._stem_vocab), len(sentences))
        )
        cover = (self._cover @ present).tocoo()  # labels x sentences
        if cover.nnz == 0:
            return best, best_label, best_sentence
        value = cover.data
        order = np.argsort(value, kind="stable")  # ascending: the best writes last
        skill = self._label_skill[cover.row[order]]
        best[skill] = value[order]
        best_label[skill] = cover.row[order]
        best_sentence[skill] = cover.col[order]
        return best, best_label, best_sentence

    def _neighbours(self, text: str) -> np.ndarray:
        n_skills = len(self._skill_ids)
        if self._occ_vectoriser is None:
            return np.zeros(n_skills)
        query = self._occ_vectoriser.transform([text])
        if query.nnz == 0:
            return np.zeros(n_skills)
        sims = np.asarray((query @ self._occ_matrix).todense()).ravel()
        k = min(NEIGHBOURS, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        weight = sims[top] ** NEIGHBOUR_POWER
        if weight.sum() <= 0:
            return np.zeros(n_skills)
        votes = np.asarray(self._votes[top].T @ weight).ravel() / weight.sum()
        # Scaled by how alike the nearest occupation is: a text like none of them votes softly.
        return votes * float(math.sqrt(sims[top].max()))

    def _similarity(self, text: str) -> np.ndarray:
        n_skills = len(self._skill_ids)
        if self._skill_matrix is None:
            return np.zeros(n_skills)
        query = self._skill_vectoriser.transform([text])
        if query.nnz == 0:
            return np.zeros(n_skills)
        sims = np.asarray((query @ self._skill_matrix).todense()).ravel()
        top = sims.max()
        return sims / top if top > 0 else sims

    # ------------------------------------------------------------------ extract

    def signals(self, text: str) -> _Signals:
        """Each signal's value for every skill (columns in ``skill_ids`` order),
        with what supports it. Split from ``extract`` so the evaluation can tune
        the weights without extracting again."""
        text = text[:MAX_TEXT_CHARS]
        sentences = _sentences(text)
        phrases = self._phrases(_tokens(text))
        phrase = np.zeros(len(self._skill_ids))
        for col, (strength, _, _, _) in phrases.items():
            phrase[col] = strength
        coverage, cover_label, cover_sentence = self._coverage(text, sentences)
        return _Signals(
            text,
            sentences,
            phrases,
            cover_label,
            cover_sentence,
            np.stack([phrase, coverage**2, self._neighbours(text), self._similarity(text)]),
        )

    @property
    def skill_ids(self) -> np.ndarray:
        return self._skill_ids

    def extract(self, text: str, limit: int = 20) -> list[Hit]:
        """At most ``limit`` skills the text speaks of, best first."""
        if limit <= 0 or not text or not text.strip() or not len(self._skill_ids):
            return []
        found = self.signals(text)
        score = self._weights @ found.values
        return self.hits(found, score, limit)

    def hits(self, found: _Signals, score: np.ndarray, limit: int) -> list[Hit]:
        """The top ``limit`` skills by ``score`` (>= MIN_SCORE) with their spans."""
        candidates = np.flatnonzero(score >= MIN_SCORE)
        if len(candidates) > limit:
            candidates = candidates[np.argpartition(-score[candidates], limit - 1)[:limit]]
        ranked = sorted(candidates.tolist(), key=lambda c: (-score[c], self._skill_ids[c]))
        hits = []
        for col in ranked:
            if col in found.phrases:
                _, label, start, end = found.phrases[col]
            elif found.cover_label[col] >= 0:
                label = int(found.cover_label[col])
                start, end = found.sentences[int(found.cover_sentence[col])]
            else:
                label = self._preferred[col]
                start, end = self._best_sentence(found.text, found.sentences, col)
            hits.append(
                Hit(
                    int(self._skill_ids[col]),
                    round(float(min(score[col], 1.0)), 4),
                    (start, end),
                    self._label_text[label],
                )
            )
        return hits

    def _best_sentence(
        self, text: str, sentences: list[tuple[int, int]], col: int
    ) -> tuple[int, int]:
        """The sentence sharing most (tf-idf weighted) words with the skill's
        labels and description; the whole text when none shares a word (the hit
        then rests on the text as a whole, through similar occupations)."""
        if self._skill_matrix is None or not sentences:
            return (0, len(text))
        vocabulary = self._skill_vectoriser.vocabulary_
        column = self._skill_matrix[:, col].toarray().ravel()
        best, where = 0.0, (0, len(text))
        for s, e in sentences:
            weight = sum(
                column[vocabulary[w]] for w in set(analyse_words(text[s:e])) if w in vocabulary
            )
            if weight > best:
                best, where = weight, (s, e)
        return where
