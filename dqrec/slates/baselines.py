"""Baseline slate policies: ``act(obs, env) -> slates (N, k)`` of distinct item ids.

* ``RandomSlatePolicy``: k distinct items uniformly at random.
* ``PopularSlatePolicy``: the k most purchased items (counted on logs of random slates) that
  are not in the shopper's recent history.
* ``MyopicOraclePolicy``: reads the hidden state (``env.choice_logits()``, ``env.item_rewards()``)
  and shows the slate with the highest expected *immediate* reward under the true choice model,
  ``sum_{i in A} P(i | s, A) r(s, i)``: the decomposition with Qbar = r and Qbar(s, ⊥) = 0,
  solved exactly. The best any myopic slate policy can do; not deployable.
  (The myopic slate *without* the oracle's knowledge is ``SlateQAgent`` trained with
  gamma = 0: it learns r and the choice model from clicks, see ``dqrec.slates.slateq``.)
* ``TopKQPolicy``: item-DQN top-k: the k items with the highest Q of a one-item-per-step
  Q-network (``dqrec.agent.DQNAgent`` trained on ``VecShopEnv``), ignoring the choice model.
"""

import numpy as np

from dqrec.envs import split_observation
from dqrec.rollout import run_sessions
from dqrec.seeds import POPULARITY_FIT_SEED
from dqrec.slates.optimise import best_slates
from dqrec.slates.rollout import slate_rollout
from dqrec.slates.vector import VecSlateEnv


def _check_k(k, num_items):
    if not isinstance(k, int | np.integer) or not 1 <= k <= num_items:
        raise ValueError(f"slate size k must be an int in [1, {num_items}], got {k!r}")
    return int(k)


class RandomSlatePolicy:
    """k distinct items drawn uniformly at random."""

    def __init__(self, num_items, k, seed=0):
        self.num_items, self.k = num_items, _check_k(k, num_items)
        self.rng = np.random.default_rng(seed)

    def act(self, obs, env=None):
        noise = self.rng.random((len(obs), self.num_items))
        return np.argpartition(noise, self.k - 1, axis=1)[:, : self.k].astype(np.int64)


class PopularSlatePolicy:
    """The k most popular items not among the shopper's last ``history_len`` entries."""

    def __init__(self, popularity, k, history_len):
        self.popularity = np.asarray(popularity, np.float64)
        self.k = _check_k(k, len(self.popularity))
        self.history_len = history_len

    @classmethod
    def fit(cls, slate_config, num_shoppers=2000, seed=POPULARITY_FIT_SEED):
        """Count purchases per item on one session of random slates per logged shopper."""
        shop, k = slate_config.shop, slate_config.slate_size
        bought = np.zeros(shop.num_items)
        env = VecSlateEnv(slate_config, num_shoppers, seed)
        obs, _ = env.reset(seed=seed)

        def count(step):  # the chosen item of every purchase in a first session
            hit = step.active & step.info["purchased"]
            np.add.at(bought, step.info["chosen"][hit], 1.0)

        run_sessions(RandomSlatePolicy(shop.num_items, k, seed), env, obs, count)
        return cls(bought, k, shop.history_len)

    def act(self, obs, env=None):
        item_ids, _, _ = split_observation(obs, self.history_len)
        scores = np.tile(self.popularity, (len(obs), 1))
        seen = np.zeros((len(obs), len(self.popularity) + 1), bool)  # last column: padding
        np.put_along_axis(seen, item_ids, True, axis=1)
        scores[seen[:, :-1]] = -np.inf  # nothing from the recent history
        order = np.argsort(-scores, axis=1, kind="stable")
        return order[:, : self.k].astype(np.int64)


class MyopicOraclePolicy:
    """The slate of highest expected immediate reward under the true choice model (hidden state)."""

    def __init__(self, method="exact"):
        self.method = method

    def act(self, obs, env=None):
        if env is None or not hasattr(env, "choice_logits"):
            raise ValueError("MyopicOraclePolicy needs the VecSlateEnv to read the hidden state")
        cfg = env.slate_config
        rewards = env.item_rewards()
        slates, _ = best_slates(
            self.method, env.choice_logits(), rewards, 0.0, cfg.slate_size, cfg.no_click_weight
        )
        return slates


class TopKQPolicy:
    """Item-DQN top-k: the k items of highest Q(s, a) of a one-item Q-network (``q_values``)."""

    def __init__(self, agent, k):
        self.agent, self.k = agent, int(k)

    def act(self, obs, env=None):
        q = np.asarray(self.agent.q_values(obs))
        top = np.argpartition(-q, self.k - 1, axis=1)[:, : self.k]
        order = np.argsort(-np.take_along_axis(q, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1).astype(np.int64)


__all__ = [
    "MyopicOraclePolicy",
    "PopularSlatePolicy",
    "RandomSlatePolicy",
    "TopKQPolicy",
    "slate_rollout",
]
