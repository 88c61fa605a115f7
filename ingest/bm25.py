"""BM25 (Okapi) over chunks: a small inverted index on numpy arrays.

Pure and deterministic: ``BM25.build(texts)`` then ``scores(query)``. Tokenising keeps the
things lawyers search for (docket numbers, "72(a)", "f.3d") as tokens.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import snowballstemmer

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'’][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a an and are as at be been but by did do does for from had has have he her his i if in
    into is it its itself me my no not of on or our she so such than that the their them then
    there these they this those to too very was we were what when where which while who whom
    why will with would you your how much many""".split()
)


_SNOWBALL = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """Snowball (Porter 2) English: "violations"/"violated", "allegations"/"alleged", "breaches"/"breach"."""
    return _SNOWBALL.stemWord(token)


def tokenize(text: str) -> list[str]:
    out = []
    for tok in _TOKEN.findall(text.lower().replace("’", "'")):
        if tok.endswith("'s") and len(tok) > 2:
            tok = tok[:-2]               # "Acme's" searches as "Acme", "Smith's" as "Smith"
        if tok in STOPWORDS:
            continue
        out.append(stem(tok) if tok.isalpha() else tok)
    return out


@dataclass
class BM25:
    k1: float = 1.2
    b: float = 0.75
    n_docs: int = 0
    doc_len: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    postings: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, texts: list[str], k1: float = 1.2, b: float = 0.75) -> "BM25":
        index: dict[str, tuple[list[int], list[int]]] = {}
        lengths = np.zeros(len(texts), dtype=np.float32)
        for i, text in enumerate(texts):
            toks = tokenize(text)
            lengths[i] = len(toks)
            tf: dict[str, int] = {}
            for t in toks:
                tf[t] = tf.get(t, 0) + 1
            for t, n in tf.items():
                docs, freqs = index.setdefault(t, ([], []))
                docs.append(i)
                freqs.append(n)
        n = len(texts)
        postings = {t: (np.asarray(d, dtype=np.int32), np.asarray(f, dtype=np.float32))
                    for t, (d, f) in index.items()}
        idf = {t: float(np.log(1 + (n - len(d) + 0.5) / (len(d) + 0.5))) for t, (d, _) in postings.items()}
        return cls(k1=k1, b=b, n_docs=n, doc_len=lengths, postings=postings, idf=idf)

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.n_docs, dtype=np.float32)
        if self.n_docs == 0:
            return out
        avg = float(self.doc_len.mean()) or 1.0
        for t in set(tokenize(query)):
            hit = self.postings.get(t)
            if hit is None:
                continue
            docs, tf = hit
            norm = self.k1 * (1 - self.b + self.b * self.doc_len[docs] / avg)
            out[docs] += self.idf[t] * tf * (self.k1 + 1) / (tf + norm)
        return out

    def top(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        s = self.scores(query)
        if allowed is not None:
            s = np.where(allowed, s, 0.0)
        k = min(k, int((s > 0).sum()))
        if k <= 0:
            return []
        idx = np.argpartition(-s, k - 1)[:k]
        idx = idx[np.argsort(-s[idx], kind="stable")]
        return [(int(i), float(s[i])) for i in idx]
