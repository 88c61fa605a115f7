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
