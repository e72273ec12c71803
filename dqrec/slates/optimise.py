"""Choosing the slate: maximise SlateQ's decomposed value over slates of k distinct items.

For one shopper, with choice scores v_i = exp(z_i) (``dqrec.slates.choice``), item values
q_i = Qbar(s, i) and the no-click value q_0 = Qbar(s, ⊥) with weight w0, the problem is

    max_{A, |A| = k}  f(A) = (w0 q_0 + sum_{i in A} v_i q_i) / (w0 + sum_{i in A} v_i)

a 0/1 *fractional* programme. Ie et al. (2019) relax it to a linear programme (Charnes-Cooper).
Here it is solved exactly by Dinkelbach's parametric method, which needs no LP solver (SciPy is
not a dependency of dqrec): for a number lam, let

    g(lam) = max_{|A| = k} sum_{i in A} v_i (q_i - lam) + w0 (q_0 - lam)

which is attained by the k largest v_i (q_i - lam) (a top-k, O(num_items)); g is decreasing and
g(lam) = 0 exactly at lam* = max f. Starting from any slate's value, the iteration
lam <- f(argmax of g(lam)) increases lam strictly until it stops at lam*, after finitely many
steps (there are finitely many slates; in practice 2 to 4).

Every function works on a batch of rows (one per shopper) and returns ``(slates (N, k) int64,
values (N,))``; each slate is sorted by decreasing choice score:

* ``enumerate_slates``: every one of the C(num_items, k) slates (the brute force; tiny
  catalogues only, it refuses more than ``max_slates``);
* ``exact_slates``: Dinkelbach, exact, O(num_items) per iteration;
* ``top_k_slates``: the k items with the largest v_i q_i (the paper's "top-k"; approximate);
* ``greedy_slates``: add one item at a time, each the best for the slate so far (approximate).
"""

import itertools
import math

import numpy as np

__all__ = [
    "METHODS",
    "best_slates",
    "enumerate_slates",
    "exact_slates",
    "greedy_slates",
    "top_k_slates",
]


def _prepare(logits, q_items, q_none, k, no_click_weight):
    logits = np.asarray(logits, np.float64)
    q_items = np.asarray(q_items, np.float64)
    if logits.ndim != 2 or q_items.shape != logits.shape:
        raise ValueError(
            f"logits and q_items must both have shape (N, num_items), got {logits.shape} "
            f"and {q_items.shape}"
        )
    q_none = np.broadcast_to(np.asarray(q_none, np.float64), logits.shape[:1])
    if not isinstance(k, int | np.integer) or not 1 <= k <= logits.shape[1]:
        raise ValueError(f"slate size k must be an int in [1, {logits.shape[1]}], got {k!r}")
    if not (math.isfinite(no_click_weight) and no_click_weight > 0):
        raise ValueError(f"no_click_weight must be a finite number > 0, got {no_click_weight!r}")
    log_w0 = math.log(no_click_weight)
    shift = np.maximum(logits.max(axis=1), log_w0)  # stable scores: nothing overflows
    v = np.exp(logits - shift[:, None])
    w0 = np.exp(log_w0 - shift)
    return v, q_items, q_none, int(k), w0


def _value(v, q, q_none, w0, slates):
    vs = np.take_along_axis(v, slates, axis=1)
    qs = np.take_along_axis(q, slates, axis=1)
    return (w0 * q_none + (vs * qs).sum(1)) / (w0 + vs.sum(1))


def _sorted(v, slates):
    order = np.argsort(-np.take_along_axis(v, slates, axis=1), axis=1, kind="stable")
    return np.take_along_axis(slates, order, axis=1).astype(np.int64)


def _top(scores, k):
    return np.argpartition(-scores, k - 1, axis=1)[:, :k]


def enumerate_slates(logits, q_items, q_none, k, no_click_weight, max_slates=200_000):
    """The best slate by trying all C(num_items, k) of them (the brute-force reference)."""
    v, q, q_none, k, w0 = _prepare(logits, q_items, q_none, k, no_click_weight)
    count = math.comb(v.shape[1], k)
    if count > max_slates:
        raise ValueError(
            f"enumerating C({v.shape[1]}, {k}) = {count} slates exceeds max_slates={max_slates}"
        )
    combos = np.array(list(itertools.combinations(range(v.shape[1]), k)))  # (C, k)
    vs, qs = v[:, combos], q[:, combos]  # (N, C, k)
    values = (w0[:, None] * q_none[:, None] + (vs * qs).sum(2)) / (w0[:, None] + vs.sum(2))
    best = values.argmax(axis=1)
    return _sorted(v, combos[best]), values[np.arange(len(v)), best]


def exact_slates(logits, q_items, q_none, k, no_click_weight, max_iterations=100):
    """The best slate, exactly, by Dinkelbach's method (see the module docstring)."""
    v, q, q_none, k, w0 = _prepare(logits, q_items, q_none, k, no_click_weight)
    slates = _top(v * q, k)
    lam = _value(v, q, q_none, w0, slates)
    for _ in range(max_iterations):
        candidate = _top(v * (q - lam[:, None]), k)
        value = _value(v, q, q_none, w0, candidate)
        better = value > lam + 1e-12 * (1.0 + np.abs(lam))
        if not better.any():
            break
        slates = np.where(better[:, None], candidate, slates)
        lam = np.where(better, value, lam)
    return _sorted(v, slates), lam


def top_k_slates(logits, q_items, q_none, k, no_click_weight):
    """The k items with the largest v_i Qbar(s, i) (approximate)."""
    v, q, q_none, k, w0 = _prepare(logits, q_items, q_none, k, no_click_weight)
    slates = _top(v * q, k)
    return _sorted(v, slates), _value(v, q, q_none, w0, slates)


def greedy_slates(logits, q_items, q_none, k, no_click_weight):
    """Add k items one at a time, each maximising the value of the slate so far (approximate)."""
    v, q, q_none, k, w0 = _prepare(logits, q_items, q_none, k, no_click_weight)
    rows = np.arange(len(v))
    numerator, denominator = w0 * q_none, w0.copy()
    taken = np.zeros(v.shape, bool)
    slates = np.zeros((len(v), k), np.int64)
    for j in range(k):
        value = (numerator[:, None] + v * q) / (denominator[:, None] + v)  # (N, num_items)
        value[taken] = -np.inf
        pick = value.argmax(axis=1)
        slates[:, j] = pick
        taken[rows, pick] = True
        numerator = numerator + v[rows, pick] * q[rows, pick]
        denominator = denominator + v[rows, pick]
    return _sorted(v, slates), numerator / denominator


METHODS = {
    "enumerate": enumerate_slates,
    "exact": exact_slates,
    "top_k": top_k_slates,
    "greedy": greedy_slates,
}


def best_slates(method, logits, q_items, q_none, k, no_click_weight):
    """Dispatch to one of ``METHODS`` by name."""
    if method not in METHODS:
        raise ValueError(f"slate optimiser must be one of {sorted(METHODS)}, got {method!r}")
    return METHODS[method](logits, q_items, q_none, k, no_click_weight)
