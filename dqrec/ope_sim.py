"""Logged data and ground truth for off-policy evaluation in the shop simulator (NumPy only).

* ``SoftmaxPolicy``: a stochastic policy with known action probabilities,
  ``pi(a | x) = (1 - epsilon) softmax(scores(x) / temperature)_a + epsilon / num_items``;
  the uniform share ``epsilon > 0`` gives every item a positive probability (positivity).
* ``popularity_scorer`` (the logging policy's scores: log purchase counts) and
  ``affinity_scores`` (a history-based target: popularity plus a bonus for the categories the
  shopper clicked in the observed history). Both read the observation only.
* ``collect_logs``: one session per shopper under a policy, stored as padded ``(n, T)`` arrays.
* ``true_value``: the ground truth by on-policy simulation of many sessions.
* ``fit_q_table`` / ``model_values``: the reward model ``q_hat`` of the direct method and the
  doubly robust estimators, fitted on the logs (tabular fitted-Q evaluation, see below).
"""

from typing import NamedTuple

import numpy as np

from dqrec import ope
from dqrec.envs import CLICK, Catalogue, VecShopEnv, split_observation
from dqrec.metrics import mean_ci
from dqrec.rollout import rollout
from dqrec.seeds import POPULARITY_FIT_SEED


class SoftmaxPolicy:
    """Softmax over ``scores_fn(obs)`` (``(N, num_items)``) mixed with uniform (``epsilon``)."""

    def __init__(self, scores_fn, temperature: float, epsilon: float, seed: int = 0):
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        if not 0 < epsilon <= 1:
            raise ValueError(f"epsilon must be in (0, 1] for positivity, got {epsilon!r}")
        self.scores_fn, self.temperature, self.epsilon = scores_fn, temperature, epsilon
        self.rng = np.random.default_rng(seed)

    def probabilities(self, obs: np.ndarray) -> np.ndarray:
        """``pi(. | obs)``, ``(N, num_items)``; every row sums to 1, every entry is > 0."""
        logits = np.asarray(self.scores_fn(obs), float) / self.temperature  # (N, num_items)
        logits -= logits.max(axis=1, keepdims=True)  # stable softmax: exp() never overflows
        softmax = np.exp(logits)
        softmax /= softmax.sum(axis=1, keepdims=True)
        return (1 - self.epsilon) * softmax + self.epsilon / logits.shape[1]

    def act(self, obs: np.ndarray, env=None) -> np.ndarray:
        return sample_actions(self.probabilities(obs), self.rng)


def sample_actions(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One item per row of ``probs`` ``(N, num_items)`` by inverse CDF (one uniform per row)."""
    cdf = np.cumsum(probs, axis=1)  # (N, num_items)
    u = rng.random((len(probs), 1)) * cdf[:, -1:]  # scale by the total: rounding-safe
    return np.minimum((cdf <= u).sum(axis=1), probs.shape[1] - 1).astype(np.int64)


def popularity_scorer(popularity):
    """Scores ``log(1 + purchases of item a)`` for every shopper (ignores the history)."""
    log_pop = np.log1p(np.asarray(popularity, float))  # (num_items,)
    return lambda obs: np.broadcast_to(log_pop, (len(obs), len(log_pop)))


def affinity_scores(popularity, category, history_len: int, bonus: float):
    """``log(1 + popularity_a) + bonus * (clicked items of a's category in the history)``.

    Observable only: the history's item ids and feedback codes and the public catalogue.
    """
    log_pop = np.log1p(np.asarray(popularity, float))  # (num_items,)
    category = np.asarray(category)  # (num_items,) category of each item
    category_padded = np.append(category, category.max() + 1)  # padding id -> a fake category

    def scores(obs):
        item_ids, feedback, _ = split_observation(obs, history_len)  # (N, H) each
        clicked_cat = np.where(feedback >= CLICK, category_padded[item_ids], -1)  # (N, H)
        counts = (clicked_cat[:, :, None] == np.arange(category.max() + 1)).sum(axis=1)
        return log_pop + bonus * counts[:, category]  # (N, num_items)

    return scores


def default_policies(shop_config, popularity_seed: int = POPULARITY_FIT_SEED):
    """The book's pair: logging ``mu`` = softmax(log popularity), temperature 1, epsilon 0.3;
    target ``pi`` = softmax(affinity scores, bonus 0.6), temperature 0.8, epsilon 0.3."""
    from dqrec.baselines import PopularityPolicy  # baselines sit in the same layer

    popularity = PopularityPolicy.fit(shop_config, seed=popularity_seed).popularity
    category = Catalogue.from_config(shop_config).category  # public item attributes
    logging = SoftmaxPolicy(popularity_scorer(popularity), temperature=1.0, epsilon=0.3)
    scores = affinity_scores(popularity, category, shop_config.history_len, bonus=0.6)
    return logging, SoftmaxPolicy(scores, temperature=0.8, epsilon=0.3)


class Logs(NamedTuple):
    """One logged session per row, padded to ``T = max_steps``; ``mask`` is 1 on real steps."""

    obs: np.ndarray  # (n, T, obs_dim) observation before each recommendation
    actions: np.ndarray  # (n, T) int64 logged items
    rewards: np.ndarray  # (n, T) float rewards
    logging_probs: np.ndarray  # (n, T) mu(a_t | x_t) of the logged item; 1 on padding
    mask: np.ndarray  # (n, T) bool, True on real steps


class _Sampler:
    """Samples ``policy.probabilities`` with ``rng`` (not the policy's own generator) and keeps
    the probabilities of the last step, so that a log can store ``mu(a_t | x_t)``."""

    def __init__(self, policy, rng: np.random.Generator):
        self.policy, self.rng, self.probs = policy, rng, None

    def act(self, obs: np.ndarray, env=None) -> np.ndarray:
        self.probs = self.policy.probabilities(obs)  # (N, num_items)
        return sample_actions(self.probs, self.rng)


def collect_logs(shop_config, logging_policy, num_sessions: int, seed: int) -> Logs:
    """Run ``logging_policy`` for one session of each of ``num_sessions`` shoppers.

    Shoppers come from ``VecShopEnv(seed=seed)``, actions from ``np.random.default_rng(seed)``:
    the same seed gives the same logs.
    """
    n, t_max = num_sessions, shop_config.max_steps
    logs = Logs(
        obs=np.zeros((n, t_max, shop_config.obs_dim), np.float32),
        actions=np.zeros((n, t_max), np.int64),
        rewards=np.zeros((n, t_max)),
        logging_probs=np.ones((n, t_max)),
        mask=np.zeros((n, t_max), bool),
    )
    sampler = _Sampler(logging_policy, np.random.default_rng(seed))

    def log(step):  # only the rows still in their first (logged) session are logged
        active, t, actions = step.active, step.t, step.actions
        logs.obs[active, t] = step.obs[active]
        logs.actions[active, t] = actions[active]
        logs.logging_probs[active, t] = sampler.probs[active, actions[active]]
        logs.mask[:, t] = active
        logs.rewards[active, t] = step.rewards[active]

    rollout(sampler, shop_config, n, seed, on_step=log)
    return logs


def target_probs(logs: Logs, policy) -> np.ndarray:
    """``pi(a_t | x_t)`` of each logged item under ``policy``, ``(n, T)``; 1 on padding."""
    probs = policy.probabilities(logs.obs[logs.mask])  # (real steps, num_items)
    out = np.ones(logs.actions.shape)
    out[logs.mask] = probs[np.arange(len(probs)), logs.actions[logs.mask]]
    return out


class TrueValue(NamedTuple):
    session_return: float  # mean undiscounted return of a session
    session_ci: float  # half-width of its 95% confidence interval
    first_reward: float  # expected reward of the first recommendation (exact given shoppers)


def true_value(shop_config, policy, num_sessions: int, seed: int) -> TrueValue:
    """Ground truth by on-policy simulation: ``policy`` plays one session per shopper.

    The first-step value is computed without sampling noise in the rewards, from the hidden
    state: ``mean_i sum_a pi(a | x_0) E[r | shopper i, a]`` (``env.expected_rewards()``).
    """
    env = VecShopEnv(shop_config, num_envs=num_sessions, seed=seed)
    obs, _ = env.reset(seed=seed)  # the shoppers that the rollout below starts from
    first = float(np.mean(np.sum(policy.probabilities(obs) * env.expected_rewards(), axis=1)))
    sessions = rollout(
        _Sampler(policy, np.random.default_rng(seed)), shop_config, num_sessions, seed
    )
    mean, half_width = mean_ci(sessions.returns)
    return TrueValue(mean, half_width, first)


# --- the reward model: tabular fitted-Q evaluation ------------------------------------------
# State abstraction: the feedback code of the last recommendation (0 at the start, then skip,
# click, purchase): 4 x num_items cells. Fitted-Q evaluation (FQE) repeats the regression
#   Q(s, a) <- mean over logged (s, a) of [ r + gamma * sum_a' pi(a' | x') Q(s', a') ]
# where x' is the real next observation (0 after the last step). The abstraction drops the
# hidden preference and patience, so q_hat is biased: which is what DR must survive.


def _last_feedback(obs: np.ndarray, history_len: int) -> np.ndarray:
    return split_observation(obs, history_len)[1][..., -1]  # (...,) codes 0..3


def fit_q_table(logs: Logs, policy, shop_config, gamma: float = 1.0, prior: float = 1.0):
    """Q-table ``(4, num_items)`` for ``policy`` by ``T`` sweeps of tabular FQE on ``logs``.

    Each cell is a mean shrunk toward the mean of all targets with ``prior`` pseudo-counts.
    """
    num_items, t_max = shop_config.num_items, shop_config.max_steps
    obs = logs.obs[logs.mask]  # (m, obs_dim): the m real steps, session by session
    state = _last_feedback(obs, shop_config.history_len)  # (m,)
    cell = state * num_items + logs.actions[logs.mask]  # flat (s, a) index per real step
    counts = np.bincount(cell, minlength=4 * num_items)
    rewards = logs.rewards[logs.mask]  # (m,)
    # the next real step of step j is step j + 1 of the flattened array, if the session goes on
    has_next = np.zeros_like(logs.mask)
    has_next[:, :-1] = logs.mask[:, 1:]
    has_next = has_next[logs.mask]  # (m,)
    next_probs = policy.probabilities(obs[1:][has_next[:-1]])  # (steps with a next, num_items)
    next_state = state[1:][has_next[:-1]]
    q = np.zeros((4, num_items))
    for _ in range(t_max):  # a session has at most T steps: T sweeps propagate every reward
        v_next = np.zeros(len(rewards))  # 0 after the last step of a session
        v_next[has_next] = np.sum(next_probs * q[next_state], axis=1)
        y = rewards + gamma * v_next  # FQE regression targets
        sums = np.bincount(cell, weights=y, minlength=4 * num_items)
        q = ((sums + prior * y.mean()) / (counts + prior)).reshape(4, num_items)
    return q


def model_values(logs: Logs, policy, q_table, shop_config):
    """``(q_hat_logged, v_hat)``, each ``(n, T)``: ``Q_hat(s_t, a_t)`` for the logged item and
    ``sum_a pi(a | x_t) Q_hat(s_t, a)``; 0 on padding."""
    state = _last_feedback(logs.obs, shop_config.history_len)  # (n, T)
    q_logged = np.where(logs.mask, q_table[state, logs.actions], 0.0)
    v_hat = np.zeros(logs.actions.shape)
    probs = policy.probabilities(logs.obs[logs.mask])  # (real steps, num_items)
    v_hat[logs.mask] = np.sum(probs * q_table[state[logs.mask]], axis=1)
    return q_logged, v_hat


def estimate_all(logs: Logs, policy, shop_config, gamma: float = 1.0) -> dict[str, float]:
    """Every estimator of ``dqrec.ope`` on ``logs`` for target ``policy``.

    ``first_*``: the one-step estimators on the first recommendation's reward (a contextual
    bandit), with an immediate-reward model (FQE with ``gamma = 0``).
    The others estimate the whole session's return (discounted by ``gamma``), with the FQE model.
    """
    pi = target_probs(logs, policy)  # (n, T) pi(a_t | x_t), 1 on padding
    ratios = pi / logs.logging_probs  # (n, T), 1 on padding
    r0, pi0, mu0 = logs.rewards[:, 0], pi[:, 0], logs.logging_probs[:, 0]
    q0_logged, v0_hat = model_values(
        logs, policy, fit_q_table(logs, policy, shop_config, 0.0), shop_config
    )
    q_logged, v_hat = model_values(
        logs, policy, fit_q_table(logs, policy, shop_config, gamma), shop_config
    )
    rewards, mask = logs.rewards, logs.mask
    return {
        "first_dm": ope.direct_method(v0_hat[:, 0]),
        "first_ips": ope.ips(r0, pi0, mu0),
        "first_snips": ope.snips(r0, pi0, mu0),
        "first_dr": ope.doubly_robust(r0, pi0, mu0, q0_logged[:, 0], v0_hat[:, 0]),
        "dm": ope.direct_method(v_hat[:, 0]),
        "pdis": ope.per_decision_ips(rewards, ratios, mask, gamma),
        "wpdis": ope.weighted_per_decision_ips(rewards, ratios, mask, gamma),
        "dr": ope.sequential_doubly_robust(rewards, ratios, q_logged, v_hat, mask, gamma),
    }
