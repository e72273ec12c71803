"""Offline ranking metrics and confidence intervals (pure NumPy functions).

Ranking metrics score ONE ranked list of item ids against a set of relevant items; the
``mean_ranking_metrics`` helper averages them over users. Conventions used everywhere:

- Only the first ``k`` entries of the ranked list count (``top = ranked[:k]``). A list shorter
  than ``k`` is not padded: the missing places simply hold no hit, so precision still divides
  by ``k`` (a recommender that returns fewer than ``k`` items is not rewarded for it).
- The ranked list must not repeat an item (a ``ValueError`` says so).
- A user with NO relevant items has undefined recall, NDCG and so on: every metric returns
  ``nan`` for them, and the mean form skips them (and reports how many users it used).
"""

import math

import numpy as np


def _t_two_sided_prob(theta: float, df: int) -> float:
    """P(|T| < t) for Student's t with integer ``df``, where ``theta = arctan(t / sqrt(df))``.

    Closed form from Abramowitz & Stegun 26.7.3-26.7.4, with ``c = cos^2(theta)``:
    df even: ``sin(theta) * sum_{k=0}^{(df-2)/2} a_k c^k``,  ``a_0 = 1, a_k = a_{k-1}(2k-1)/(2k)``
    df odd:  ``(2/pi) [theta + sin(theta) cos(theta) sum_{k=0}^{(df-3)/2} b_k c^k]``,
             ``b_0 = 1, b_k = b_{k-1} (2k)/(2k+1)``   (the sum is empty for df = 1).
    """
    c = math.cos(theta) ** 2
    if df % 2 == 0:
        k = np.arange(1, df // 2)
        coef = np.concatenate([[1.0], np.cumprod((2 * k - 1) / (2 * k))])
        return math.sin(theta) * float(np.sum(coef * c ** np.arange(len(coef))))
    k = np.arange(1, (df - 1) // 2)
    coef = np.concatenate([[1.0], np.cumprod(2 * k / (2 * k + 1))]) if df > 1 else np.zeros(0)
    series = float(np.sum(coef * c ** np.arange(len(coef))))
    return 2.0 / math.pi * (theta + math.sin(theta) * math.cos(theta) * series)


def t_quantile_two_sided(confidence: float, df: int) -> float:
    """The t with P(|T| < t) = ``confidence`` (e.g. 0.95, df=9 -> 2.262), by bisection on theta.

    Exact for integer df up to float precision. Above 100 000 degrees of freedom Student's t
    and the normal distribution agree to 5 significant digits, so df is capped there.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    df = min(int(df), 100_000)
    low, high = 0.0, math.pi / 2  # P(|T| < t) grows with theta in (0, pi/2)
    for _ in range(60):
        mid = 0.5 * (low + high)
        if _t_two_sided_prob(mid, df) < confidence:
            low = mid
        else:
            high = mid
    return math.sqrt(df) * math.tan(0.5 * (low + high))


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float]:
    """Sample mean and the half-width of its Student-t confidence interval.

    ``half_width = t_{(1+confidence)/2, n-1} * s / sqrt(n)`` with ``s`` the sample standard
    deviation (``ddof=1``). With one value the spread is unknown: ``half_width = nan``.
    """
    values = np.asarray(values, dtype=float).ravel()
    n = values.size
    if n == 0:
        raise ValueError("mean_ci needs at least one value, got an empty array")
    mean = float(values.mean())
    if n == 1:
        return mean, float("nan")
    sem = float(values.std(ddof=1)) / math.sqrt(n)
    return mean, t_quantile_two_sided(confidence, n - 1) * sem


def top_k(scores, k: int, exclude=None) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first; ties go to the lower index.

    ``exclude``: item ids never to recommend (e.g. a padding or "other" id).
    """
    scores = np.asarray(scores, dtype=float).copy()
    if exclude is not None:
        scores[np.asarray(list(exclude), dtype=int)] = -np.inf
    order = np.argsort(-scores, kind="stable")  # stable sort keeps lower index first on ties
    return order[: min(k, int(np.isfinite(scores).sum()))]


def _hits(ranked, relevant, k: int) -> tuple[np.ndarray, int]:
    """Boolean hit vector for ``ranked[:k]`` and the number of relevant items."""
    top = [int(i) for i in list(ranked)[:k]]
    if len(set(top)) != len(top):
        raise ValueError(f"ranked list repeats an item: {top}")
    relevant = {int(i) for i in relevant}
    return np.array([i in relevant for i in top], dtype=bool), len(relevant)


def precision_at_k(ranked, relevant, k: int) -> float:
    """``|top-k ∩ relevant| / k`` (nan when there is no relevant item)."""
    hits, num_relevant = _hits(ranked, relevant, k)
    return float(hits.sum() / k) if num_relevant else float("nan")


def recall_at_k(ranked, relevant, k: int) -> float:
    """``|top-k ∩ relevant| / |relevant|`` (nan when there is no relevant item)."""
    hits, num_relevant = _hits(ranked, relevant, k)
    return float(hits.sum() / num_relevant) if num_relevant else float("nan")


def f1_at_k(ranked, relevant, k: int) -> float:
    """Harmonic mean ``2 P R / (P + R)``; 0 when there is no hit, nan with no relevant item."""
    p, r = precision_at_k(ranked, relevant, k), recall_at_k(ranked, relevant, k)
    if math.isnan(p):
        return p
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def hit_rate_at_k(ranked, relevant, k: int) -> float:
    """1 if any of the top k is relevant, else 0 (nan with no relevant item)."""
    hits, num_relevant = _hits(ranked, relevant, k)
    return float(hits.any()) if num_relevant else float("nan")


def ndcg_at_k(ranked, relevant, k: int) -> float:
    """Binary-relevance NDCG: ``DCG / IDCG`` with ``DCG = sum_{i<k} hit_i / log2(i + 2)``.

    ``IDCG`` is the DCG of a perfect list: ``sum_{i < min(k, |relevant|)} 1 / log2(i + 2)``.
    """
    hits, num_relevant = _hits(ranked, relevant, k)
    if not num_relevant:
        return float("nan")
    discounts = 1.0 / np.log2(np.arange(2, k + 2))  # rank 1 -> 1/log2(2) = 1
    dcg = float(np.sum(discounts[: hits.size][hits]))
    idcg = float(np.sum(discounts[: min(k, num_relevant)]))
    return dcg / idcg


def mrr(ranked, relevant, k: int | None = None) -> float:
    """Reciprocal rank ``1 / rank`` of the first relevant item (ranks start at 1), 0 if none.

    ``k=None`` looks at the whole list; otherwise only the top k. nan with no relevant item.
    """
    hits, num_relevant = _hits(ranked, relevant, len(list(ranked)) if k is None else k)
    if not num_relevant:
        return float("nan")
    return 1.0 / (int(np.argmax(hits)) + 1) if hits.any() else 0.0


def catalogue_coverage(recommended_lists, num_items: int) -> float:
    """Share of the catalogue recommended to at least one user: ``|union of lists| / num_items``."""
    seen = set()
    for items in recommended_lists:
        seen.update(int(i) for i in items)
    return len(seen) / num_items


RANKING_METRICS = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "f1": f1_at_k,
    "hit_rate": hit_rate_at_k,
    "ndcg": ndcg_at_k,
    "mrr": mrr,
}


def mean_ranking_metrics(ranked_lists, relevant_sets, k: int) -> dict[str, float]:
    """Mean of every ranking metric at ``k`` over users who have at least one relevant item.

    Returns ``{"precision": ..., "recall": ..., "f1": ..., "hit_rate": ..., "ndcg": ...,
    "mrr": ..., "num_users": users used}``; ``mrr`` here is also cut at ``k`` (MRR@k).
    """
    pairs = [(r, s) for r, s in zip(ranked_lists, relevant_sets, strict=True) if len(s) > 0]
    result = {
        name: float(np.mean([fn(r, s, k) for r, s in pairs])) if pairs else float("nan")
        for name, fn in RANKING_METRICS.items()
    }
    result["num_users"] = len(pairs)
    return result
