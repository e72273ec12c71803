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


def _ratios(target_probs, logging_probs) -> np.ndarray:
    target_probs = np.asarray(target_probs, dtype=float)
    logging_probs = np.asarray(logging_probs, dtype=float)
    if np.any(logging_probs <= 0):
        raise ValueError("logging_probs must be > 0 for every logged action (positivity)")
    return target_probs / logging_probs


# --- one-step (contextual bandit) data: arrays of shape (n,) -------------------------------


def direct_method(q_hat_target) -> float:
    """``V_DM = mean_i sum_a pi(a | x_i) q_hat(x_i, a)``; pass ``q_hat_target[i]`` = the inner
    sum. No propensities needed, but biased wherever the reward model ``q_hat`` is wrong."""
    return float(np.mean(q_hat_target))


def ips(rewards, target_probs, logging_probs) -> float:
    """Inverse propensity scoring: ``V_IPS = mean_i w_i r_i``. Unbiased, high variance."""
    return float(np.mean(_ratios(target_probs, logging_probs) * np.asarray(rewards, float)))


def snips(rewards, target_probs, logging_probs) -> float:
    """Self-normalised IPS: ``V_SNIPS = sum_i w_i r_i / sum_i w_i``. Slightly biased
    (consistent), much lower variance; exact when all rewards are equal."""
    w = _ratios(target_probs, logging_probs)
    return float(np.sum(w * np.asarray(rewards, float)) / np.sum(w))


def doubly_robust(rewards, target_probs, logging_probs, q_hat_logged, v_hat) -> float:
    """``V_DR = mean_i [ v_hat_i + w_i (r_i - q_hat_logged_i) ]``.

    ``q_hat_logged_i = q_hat(x_i, a_i)`` for the logged action and ``v_hat_i = sum_a pi(a | x_i)
    q_hat(x_i, a)``. Unbiased if either the propensities or the reward model are right.
    """
    w = _ratios(target_probs, logging_probs)
    residual = np.asarray(rewards, float) - np.asarray(q_hat_logged, float)
    return float(np.mean(np.asarray(v_hat, float) + w * residual))


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
    rewards = np.where(np.asarray(mask, bool), np.asarray(rewards, float), 0.0)
    discounts = gamma ** np.arange(rewards.shape[1])  # (T,)
    return float(np.sum(discounts * _cumulative_weights(ratios, mask) * rewards) / len(rewards))


def weighted_per_decision_ips(rewards, ratios, mask, gamma: float) -> float:
    """``V_WPDIS = sum_t gamma^t sum_i (W_{i,t} / sum_j W_{j,t}) r_{i,t}``: each time step's
    weights are normalised over all episodes (ended ones keep their final weight)."""
    rewards = np.where(np.asarray(mask, bool), np.asarray(rewards, float), 0.0)
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
    mask = np.asarray(mask, bool)
    rewards, ratios = np.asarray(rewards, float), np.asarray(ratios, float)
    q_hat, v_hat = np.asarray(q_hat, float), np.asarray(v_hat, float)
    dr = np.zeros(len(rewards))  # (num_episodes,) DR_{t+1}, 0 after the last step
    for t in reversed(range(rewards.shape[1])):
        step = v_hat[:, t] + ratios[:, t] * (rewards[:, t] + gamma * dr - q_hat[:, t])
        dr = np.where(mask[:, t], step, 0.0)  # a padded step is past the end: value 0
    return float(np.mean(dr))
