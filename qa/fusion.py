"""Reciprocal rank fusion: pure, on plain lists of keys."""
from __future__ import annotations

from typing import Hashable, Sequence


def rrf(rankings: Sequence[Sequence[Hashable]], k: int = 60,
        weights: Sequence[float] | None = None) -> list[tuple[Hashable, float]]:
    """Fuse ranked lists: score(d) = sum_i w_i / (k + rank_i(d)), rank starting at 1.

    Ties keep the order in which keys were first seen (earlier lists first), so the result is
    deterministic.
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[Hashable, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + w / (k + rank)
    order: dict[Hashable, int] = {}
    for ranking in rankings:
        for key in ranking:
            order.setdefault(key, len(order))
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


def fuse_top(rankings: Sequence[Sequence[Hashable]], n: int, k: int = 60,
             weights: Sequence[float] | None = None, leaders: int = 1) -> list[tuple[Hashable, float]]:
    """The first ``n`` of ``rrf``, with each ranking's first ``leaders`` keys always among them.

    RRF flattens a large margin: a chunk BM25 ranks first by far (the one naming the statute) but
    the dense side ranks beyond its candidates scores no more than a chunk both rank tenth. A
    leader that missed the cut takes the place of the last fused key that is not a leader itself.
    """
    fused = rrf(rankings, k, weights)
    top = fused[:n]
    score = dict(fused)
    lead = [key for ranking in rankings for key in list(ranking)[:leaders]]
    for key in dict.fromkeys(lead):
        if any(t == key for t, _ in top):
            continue
        spare = [i for i, (t, _) in enumerate(top) if t not in lead]
        if not spare:
            break
        top[spare[-1]] = (key, score[key])
    return sorted(top, key=lambda kv: -kv[1])
