"""Baseline policies, each a ``dqrec.policy.Policy``: ``act(obs, env) -> actions (N,)``.

* ``RandomPolicy``: a uniformly random item.
* ``PopularityPolicy``: the most purchased item (counted on logs of random recommendations)
  that the shopper has not been shown in their recent history.
* ``OraclePolicy``: sees the hidden state and recommends ``argmax_a E[r | latent state, a]``:
  the best any *myopic* policy can do. It cannot be deployed; it bounds myopic methods.
* ``GreedyQPolicy``: ``argmax_a Q(s, a)`` of a trained Keras Q-network (DQN, or the
  myopic baseline: the same network trained with ``gamma = 0``).
"""

import numpy as np

from dqrec.envs import split_observation
from dqrec.rollout import rollout
from dqrec.seeds import POPULARITY_FIT_SEED


class RandomPolicy:
    """Recommend a uniformly random item."""

    def __init__(self, num_items, seed=0):
        self.num_items = num_items
        self.rng = np.random.default_rng(seed)

    def act(self, obs, env=None):
        return self.rng.integers(0, self.num_items, size=len(obs))


class PopularityPolicy:
    """The most popular item not among the shopper's last ``history_len`` recommendations."""

    def __init__(self, popularity, history_len):
        self.popularity = np.asarray(popularity, np.float64)  # (num_items,) purchase counts
        self.history_len = history_len

    @classmethod
    def fit(cls, shop_config, num_shoppers=2000, seed=POPULARITY_FIT_SEED, catalogue=None):
        """Count purchases per item in logs of one session of random recommendations each
        (the shoppers and the random items both drawn from ``seed``)."""
        logging_policy = RandomPolicy(shop_config.num_items, seed)
        bought = rollout(logging_policy, shop_config, num_shoppers, seed, catalogue).bought
        return cls(np.bincount(bought, minlength=shop_config.num_items), shop_config.history_len)

    def act(self, obs, env=None):
        item_ids, _, _ = split_observation(obs, self.history_len)  # (N, H), padding = num_items
        scores = np.tile(self.popularity, (len(obs), 1))  # (N, num_items)
        shown = np.zeros((len(obs), len(self.popularity) + 1), bool)  # last column: padding
        np.put_along_axis(shown, item_ids, True, axis=1)
        scores[shown[:, :-1]] = -np.inf  # never repeat a recently shown item
        return np.argmax(scores, axis=1)


class OraclePolicy:
    """Myopic oracle: maximise the immediate expected reward using the hidden shopper state."""

    def act(self, obs, env=None):
        if env is None:
            raise ValueError("OraclePolicy needs the VecShopEnv to read the hidden state")
        return np.argmax(env.expected_rewards(), axis=1)


class GreedyQPolicy:
    """``argmax_a Q(s, a)`` of a Keras Q-network (a trained DQN or a loaded model)."""

    def __init__(self, q_network):
        import tensorflow as tf

        self.q_network = q_network
        spec = tf.TensorSpec((None, q_network.obs_dim), tf.float32)
        self._q = tf.function(lambda obs: q_network(obs), input_signature=[spec])

    def q_values(self, obs):
        return self._q(np.asarray(obs, np.float32)).numpy()

    def act(self, obs, env=None):
        return np.argmax(self.q_values(obs), axis=1)
