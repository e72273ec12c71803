"""The shopper's choice from a slate, and the SlateQ decomposition: pure NumPy functions.

**Conditional logit with a no-click option.** An item i shown in slate A has the score
``exp(z_i)``, z_i its click logit (the single-item shop's, see ``dqrec.envs.vector``); the
"no click" option ``⊥`` has the weight ``w0 = no_click_weight``:

    P(i | s, A) = exp(z_i) / (w0 + sum_{j in A} exp(z_j))          for i in A
    P(⊥ | s, A) = w0       / (w0 + sum_{j in A} exp(z_j))

With one item and w0 = 1 this is sigmoid(z_i), the single-item click probability.
An item repeated in a slate is shown once: its later copies have weight 0.

**SlateQ's decomposition** (Ie et al. 2019). If the shopper consumes at most one item and the
reward and next state depend only on what is consumed, the value of a slate is the
choice-weighted mean of item-level values Qbar(s, i) (``Qbar(s, ⊥)``: no click):

    Q(s, A) = sum_{i in A ∪ {⊥}} P(i | s, A) Qbar(s, i)
            = (w0 Qbar(s, ⊥) + sum_{i in A} v_i Qbar(s, i)) / (w0 + sum_{i in A} v_i),  v_i = exp(z_i)

Numerics: the weights are computed as exp(z - m) with m = max(log w0, max_j z_j), so no
logit, however large, overflows. Sums over positions run in position order (a Python loop
over k columns), the same order as the scalar reference ``dqrec.slates.scalar``.
"""

import numpy as np

__all__ = ["choice_weights", "choice_probabilities", "duplicate_mask", "slate_value"]


def duplicate_mask(slates: np.ndarray) -> np.ndarray:
    """``(N, k)`` bool: True where an item already appeared at an earlier position of its row."""
    slates = np.asarray(slates)
    k = slates.shape[-1]
    same = slates[..., :, None] == slates[..., None, :]  # (N, k, k): [j, l] same item
    earlier = np.tril(np.ones((k, k), bool), -1)  # l < j
    return (same & earlier).any(axis=-1)


def choice_weights(logits: np.ndarray, no_click_weight: float, duplicate=None):
    """Stable weights of the choice: ``(w (N, k), w_none (N,), total (N,))``.

    ``logits`` ``(N, k)`` are the z of the slate's items in slate order; ``duplicate`` (as from
    ``duplicate_mask``) zeroes repeated items. ``w / total`` and ``w_none / total`` are the
    choice probabilities; ``total`` is summed in position order.
    """
    logits = np.asarray(logits, np.float64)
    log_w0 = np.log(no_click_weight)
    shift = np.maximum(logits.max(axis=-1), log_w0)  # (N,)
    w = np.exp(logits - shift[..., None])
    if duplicate is not None:
        w = np.where(duplicate, 0.0, w)
    w_none = np.exp(log_w0 - shift)
    total = w_none.copy()
    for j in range(w.shape[-1]):  # position order, as the scalar reference sums
        total = total + w[..., j]
    return w, w_none, total


def choice_probabilities(logits, no_click_weight, duplicate=None):
    """``(P (N, k), P_none (N,))``: the conditional-logit choice probabilities of each position
    and of no click (rows sum to 1)."""
    w, w_none, total = choice_weights(logits, no_click_weight, duplicate)
    return w / total[..., None], w_none / total


def slate_value(scores, q_items, q_none, slates, no_click_weight):
    """``Q(s, A)`` of the decomposition for slates ``(N, k)`` of distinct items, ``(N,)``.

    ``scores`` ``(N, num_items)`` are the choice scores v_i = exp(z_i) (or any positive
    multiple of them shared by the row, with ``no_click_weight`` scaled alike); ``q_items``
    ``(N, num_items)`` the item values Qbar(s, i); ``q_none`` ``(N,)`` Qbar(s, ⊥).
    """
    v = np.take_along_axis(np.asarray(scores, np.float64), slates, axis=-1)
    q = np.take_along_axis(np.asarray(q_items, np.float64), slates, axis=-1)
    return (no_click_weight * q_none + (v * q).sum(-1)) / (no_click_weight + v.sum(-1))
