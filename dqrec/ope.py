"""Off-policy evaluation: estimate a target policy's value from logs of a logging policy.

Notation: target policy ``pi``, logging (behaviour) policy ``mu``, importance ratio
``w = pi(a | x) / mu(a | x)`` for the logged action ``a``. Assumptions shared by every
importance-weighted estimator below:

- known logging propensities: ``mu(a | x)`` of each logged action was recorded, not guessed;
- positivity / overlap: ``mu(a | x) > 0`` wherever ``pi(a | x) > 0`` (checked: logging
  probabilities must be > 0), otherwise the estimate is biased and nothing here can tell;
- no hidden confounding: the logged context ``x`` (or state) is all the logger used.
The sequential estimators also assume the Markov property and episodes that start from the
same distribution of initial states for both policies. Returns are discounted by ``gamma``.

References: Dudik, Langford & Li (2011) "Doubly robust policy evaluation and learning";
Precup, Sutton & Singh (2000) per-decision importance sampling; Jiang & Li (2016) "Doubly
robust off-policy value evaluation for reinforcement learning"; Thomas & Brunskill (2016).
"""

import numpy as np


class OPEInputError(ValueError):
    """Inputs an estimator cannot use: the message names the argument and what was expected."""


def _vector(name: str, values, n: int | None = None) -> np.ndarray:
    """A finite 1-D float array (of length ``n`` when given); else one clear error."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise OPEInputError(
            f"{name} must be 1-D (one value per logged interaction), got shape {array.shape}"
        )
    if n is not None and len(array) != n:
        raise OPEInputError(f"{name} has {len(array)} values, expected {n} (one per interaction)")
    if len(array) == 0:
        raise OPEInputError(f"{name} is empty: there is nothing to estimate from")
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise OPEInputError(f"{name}[{bad}] is {array[bad]}, expected a finite number")
    return array


def _probabilities(name: str, values, low_open: bool, n: int | None = None) -> np.ndarray:
    array = _vector(name, values, n)
    bad = (array <= 0) if low_open else (array < 0)
    bad |= array > 1
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        interval = "(0, 1]" if low_open else "[0, 1]"
        hint = " (positivity: every logged action needs mu > 0)" if low_open else ""
        raise OPEInputError(
            f"{name}[{i}] is {array[i]}, expected a probability in {interval}{hint}"
        )
    return array


def _ratios(target_probs, logging_probs) -> np.ndarray:
    logging_probs = _probabilities("logging_probs", logging_probs, low_open=True)
    target_probs = _probabilities("target_probs", target_probs, False, len(logging_probs))
    return target_probs / logging_probs


def _bandit(rewards, target_probs, logging_probs) -> tuple[np.ndarray, np.ndarray]:
    """Checked ``(rewards, ratios)`` of one-step data, all 1-D of one length."""
    w = _ratios(target_probs, logging_probs)
    return _vector("rewards", rewards, len(w)), w


def _episodes(mask, gamma, **arrays) -> tuple[np.ndarray, list[np.ndarray]]:
    """Checked sequence inputs: 2-D arrays of one shape, a 0/1 mask, finite real steps."""
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.shape[0] == 0:
        raise OPEInputError(
            f"mask must be (num_episodes, T) with num_episodes >= 1, got {mask.shape}"
        )
    if not np.isin(mask, (0, 1)).all():
        raise OPEInputError("mask must hold 0/1 (or booleans): 1 on real steps, 0 on padding")
    mask = mask.astype(bool)
    if not (isinstance(gamma, int | float | np.floating) and 0.0 <= float(gamma) <= 1.0):
        raise OPEInputError(f"gamma is {gamma!r}, expected a number in [0, 1]")
    out = []
    for name, values in arrays.items():
        array = np.asarray(values, dtype=float)
        if array.shape != mask.shape:
            raise OPEInputError(f"{name} has shape {array.shape}, expected {mask.shape} like mask")
        if not np.isfinite(array[mask]).all():
            raise OPEInputError(f"{name} has a non-finite value on a real (mask = 1) step")
        out.append(array)
    if "ratios" in arrays and (out[list(arrays).index("ratios")][mask] < 0).any():
        raise OPEInputError("ratios must be >= 0 (pi / mu of probabilities)")
    return mask, out


# --- one-step (contextual bandit) data: arrays of shape (n,) -------------------------------


def direct_method(q_hat_target) -> float:
    """``V_DM = mean_i sum_a pi(a | x_i) q_hat(x_i, a)``; pass ``q_hat_target[i]`` = the inner
    sum. No propensities needed, but biased wherever the reward model ``q_hat`` is wrong."""
    return float(np.mean(_vector("q_hat_target", q_hat_target)))


def ips(rewards, target_probs, logging_probs) -> float:
    """Inverse propensity scoring: ``V_IPS = mean_i w_i r_i``. Unbiased, high variance."""
    rewards, w = _bandit(rewards, target_probs, logging_probs)
    return float(np.mean(w * rewards))


def snips(rewards, target_probs, logging_probs) -> float:
    """Self-normalised IPS: ``V_SNIPS = sum_i w_i r_i / sum_i w_i``. Slightly biased
    (consistent), much lower variance; exact when all rewards are equal."""
    rewards, w = _bandit(rewards, target_probs, logging_probs)
    if w.sum() == 0:
        raise OPEInputError("target_probs are 0 on every logged action: SNIPS is undefined")
    return float(np.sum(w * rewards) / np.sum(w))


def doubly_robust(rewards, target_probs, logging_probs, q_hat_logged, v_hat) -> float:
    """``V_DR = mean_i [ v_hat_i + w_i (r_i - q_hat_logged_i) ]``.

    ``q_hat_logged_i = q_hat(x_i, a_i)`` for the logged action and ``v_hat_i = sum_a pi(a | x_i)
    q_hat(x_i, a)``. Unbiased if either the propensities or the reward model are right.
    """
    rewards, w = _bandit(rewards, target_probs, logging_probs)
    q_hat_logged = _vector("q_hat_logged", q_hat_logged, len(w))
    v_hat = _vector("v_hat", v_hat, len(w))
    return float(np.mean(v_hat + w * (rewards - q_hat_logged)))


# --- sequences: arrays of shape (num_episodes, T), padded, mask = 1 on real steps ----------


def _cumulative_weights(ratios, mask) -> np.ndarray:
    """``W_t = prod_{t' <= t} w_t'``; padded steps get ratio 1, so W stays at the episode's
    final weight (the "absorbing state" padding of Thomas & Brunskill 2016)."""
    ratios = np.where(np.asarray(mask, bool), np.asarray(ratios, float), 1.0)
    return np.cumprod(ratios, axis=1)  # (num_episodes, T)


def per_decision_ips(rewards, ratios, mask, gamma: float) -> float:
    """``V_PDIS = (1/n) sum_i sum_t gamma^t W_{i,t} r_{i,t}``, ``W_{i,t} = prod_{t'<=t} w_{i,t'}``.

    A reward is weighted only by the ratios of the decisions taken before it, not after.
    """
    mask, (rewards, ratios) = _episodes(mask, gamma, rewards=rewards, ratios=ratios)
    rewards = np.where(mask, rewards, 0.0)
    discounts = gamma ** np.arange(rewards.shape[1])  # (T,)
    return float(np.sum(discounts * _cumulative_weights(ratios, mask) * rewards) / len(rewards))


def weighted_per_decision_ips(rewards, ratios, mask, gamma: float) -> float:
    """``V_WPDIS = sum_t gamma^t sum_i (W_{i,t} / sum_j W_{j,t}) r_{i,t}``: each time step's
    weights are normalised over all episodes (ended ones keep their final weight)."""
    mask, (rewards, ratios) = _episodes(mask, gamma, rewards=rewards, ratios=ratios)
    rewards = np.where(mask, rewards, 0.0)
    weights = _cumulative_weights(ratios, mask)  # (num_episodes, T)
    normalised = weights / weights.sum(axis=0, keepdims=True)
    discounts = gamma ** np.arange(rewards.shape[1])
    return float(np.sum(discounts * normalised * rewards))


def sequential_doubly_robust(rewards, ratios, q_hat, v_hat, mask, gamma: float) -> float:
    """Jiang & Li (2016) doubly robust estimator, by the backward recursion per episode::

        DR_T = 0;   DR_t = v_hat_t + w_t (r_t + gamma DR_{t+1} - q_hat_t);   V_DR = mean_i DR_0

    with ``q_hat_t = Q_hat(s_t, a_t)`` of the logged action and ``v_hat_t = sum_a pi(a | s_t)
    Q_hat(s_t, a)``. Padded steps contribute 0 (the episode has ended).
    """
    mask, (rewards, ratios, q_hat, v_hat) = _episodes(
        mask, gamma, rewards=rewards, ratios=ratios, q_hat=q_hat, v_hat=v_hat
    )
    dr = np.zeros(len(rewards))  # (num_episodes,) DR_{t+1}, 0 after the last step
    for t in reversed(range(rewards.shape[1])):
        step = v_hat[:, t] + ratios[:, t] * (rewards[:, t] + gamma * dr - q_hat[:, t])
        dr = np.where(mask[:, t], step, 0.0)  # a padded step is past the end: value 0
    return float(np.mean(dr))


# --- logged bandit data, the evaluation policy given as an action distribution -------------


def _indices(name: str, values, n: int, size: int, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != (n,) or array.dtype.kind not in "iu":
        raise OPEInputError(f"{name} must be {n} integers (one per interaction), got {array!r:.80}")
    bad = (array < 0) | (array >= size)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise OPEInputError(f"{name}[{i}] is {array[i]}, expected {what} in [0, {size - 1}]")
    return array


def _action_distribution(action_dist, actions, positions):
    """Checked ``(pi, actions, positions)``: pi is (n, A) or (n, A, P) with each row (for each
    position) a distribution over the A actions."""
    dist = np.asarray(action_dist, dtype=float)
    if dist.ndim not in (2, 3) or dist.shape[0] == 0:
        raise OPEInputError(
            "action_dist must be (n, num_actions) or (n, num_actions, num_positions), "
            f"got shape {dist.shape}"
        )
    n, num_actions = dist.shape[:2]
    actions = _indices("actions", actions, n, num_actions, "an action id")
    if dist.ndim == 3:
        if positions is None:
            raise OPEInputError("action_dist has a positions axis: pass positions (one per row)")
        positions = _indices("positions", positions, n, dist.shape[2], "a position")
    elif positions is not None:
        raise OPEInputError(
            "positions given, but action_dist is (n, num_actions): no positions axis"
        )
    if not np.isfinite(dist).all() or (dist < 0).any() or (dist > 1).any():
        raise OPEInputError("action_dist must hold probabilities in [0, 1]")
    totals = dist.sum(axis=1)  # (n,) or (n, P)
    if not np.allclose(totals, 1.0, atol=1e-6):
        row = int(np.argwhere(~np.isclose(totals, 1.0, atol=1e-6))[0][0])
        raise OPEInputError(
            f"action_dist row {row} sums to {totals[row]} over the actions, expected 1"
        )
    return dist, actions, positions


def evaluate_bandit(
    rewards, actions, logging_probs, action_dist, q_hat=None, positions=None
) -> dict[str, float]:
    """IPS, SNIPS and, given a reward model, DM and DR of an evaluation policy on logged data.

    ``action_dist[i, a]`` is ``pi(a | x_i)``, or ``action_dist[i, a, p]`` is ``pi(a | x_i)`` in
    slot ``p`` of a ranked list when the log records the ``positions`` (the layout of the Open
    Bandit Pipeline, Saito et al. 2021); ``actions[i]`` and ``logging_probs[i]`` are the logged
    action and ``mu(a_i | x_i)`` (in position ``positions[i]``). ``q_hat`` (the shape of
    ``action_dist``) is the reward model: DM is ``mean_i sum_a pi(a | x_i) q_hat(x_i, a)``, DR
    adds the importance-weighted residual of the logged action. Returns a dict of floats.
    """
    dist, actions, positions = _action_distribution(action_dist, actions, positions)
    rows = np.arange(len(dist))
    logged = (rows, actions) if positions is None else (rows, actions, positions)
    target = dist[logged]  # pi(a_i | x_i [, p_i])
    result = {
        "ips": ips(rewards, target, logging_probs),
        "snips": snips(rewards, target, logging_probs),
    }
    if q_hat is not None:
        q_hat = np.asarray(q_hat, dtype=float)
        if q_hat.shape != dist.shape or not np.isfinite(q_hat).all():
            raise OPEInputError(
                f"q_hat must be finite with the shape of action_dist {dist.shape}, got {q_hat.shape}"
            )
        expected = (dist * q_hat).sum(axis=1)  # (n,) or (n, P): E_pi[q_hat]
        v_hat = expected if positions is None else expected[rows, positions]
        result["dm"] = direct_method(v_hat)
        result["dr"] = doubly_robust(rewards, target, logging_probs, q_hat[logged], v_hat)
    return result
