"""Every policy and agent satisfies ``dqrec.policy.Policy``; every learner reports ``StepStats``."""

import numpy as np
import pytest

from dqrec.baselines import GreedyQPolicy, OraclePolicy, PopularityPolicy, RandomPolicy
from dqrec.calibrate import PopularitySamplingPolicy
from dqrec.config import AgentConfig, NetworkConfig
from dqrec.envs import ShopConfig, VecShopEnv
from dqrec.ope_sim import default_policies
from dqrec.policy import Learner, Policy

SHOP = ShopConfig(num_items=12, num_categories=3, history_len=4, max_steps=8)
NUM_ROWS = 7


def _dqn_agent():
    from dqrec.agent import DQNAgent

    network = NetworkConfig(embedding_dim=4, hidden_units=(8,))
    args = (SHOP.obs_dim, SHOP.num_items, AgentConfig(), network, SHOP.history_len)
    return DQNAgent(*args, num_items=SHOP.num_items)


def _greedy_q():
    return GreedyQPolicy(_dqn_agent().online)


POLICIES = {  # name -> a function building it (the TensorFlow ones are built only when run)
    "RandomPolicy": lambda: RandomPolicy(SHOP.num_items, seed=1),
    "PopularityPolicy": lambda: PopularityPolicy.fit(SHOP, num_shoppers=50),
    "OraclePolicy": OraclePolicy,
    "GreedyQPolicy": _greedy_q,
    "DQNAgent": _dqn_agent,
    "SoftmaxPolicy (logging)": lambda: default_policies(SHOP)[0],
    "SoftmaxPolicy (target)": lambda: default_policies(SHOP)[1],
    "PopularitySamplingPolicy": lambda: PopularitySamplingPolicy(np.arange(1, 13), seed=2),
}


@pytest.mark.parametrize("name", POLICIES)
def test_every_policy_satisfies_the_protocol_and_acts(name):
    policy = POLICIES[name]()
    assert isinstance(policy, Policy), name
    env = VecShopEnv(SHOP, NUM_ROWS, seed=3)
    obs, _ = env.reset(seed=3)
    for _ in range(3):  # a fresh history, then one with items and feedback in it
        actions = np.asarray(policy.act(obs, env))
        assert actions.shape == (NUM_ROWS,), (name, actions.shape)
        assert actions.dtype.kind in "iu", (name, actions.dtype)
        assert actions.min() >= 0 and actions.max() < SHOP.num_items, (name, actions)
        obs, *_ = env.step(actions)


def test_an_object_without_act_is_not_a_policy():
    class Scorer:
        def scores(self, obs):
            return obs

    assert not isinstance(Scorer(), Policy)
    assert not isinstance(RandomPolicy(3), Learner)


def _batch(n, rng):
    from dqrec.replay import Batch

    h = SHOP.history_len
    obs = np.concatenate(
        [
            rng.integers(0, SHOP.num_items + 1, (n, h)),
            rng.integers(0, 4, (n, h)),
            rng.random((n, 4)),
        ],
        axis=1,
    ).astype(np.float32)
    actions = rng.integers(0, SHOP.num_items, n).astype(np.int32)
    rewards = rng.random(n).astype(np.float32)
    return Batch(obs, actions, rewards, obs[::-1].copy(), np.zeros(n, np.float32), None)


def _distributed():
    import tensorflow as tf

    from dqrec.distributed import DistributedDQN

    network = NetworkConfig(embedding_dim=4, hidden_units=(8,))
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    args = (SHOP.obs_dim, SHOP.num_items, AgentConfig(), network, SHOP.history_len)
    return DistributedDQN(strategy, *args, num_items=SHOP.num_items)


@pytest.mark.parametrize("make", [_dqn_agent, _distributed], ids=["DQNAgent", "DistributedDQN"])
def test_every_learner_step_returns_the_same_stats(make):
    learner = make()
    assert isinstance(learner, Learner)
    stats = learner.train_step(_batch(8, np.random.default_rng(0)))
    assert set(stats) == {"loss", "mean_q"}, stats
    assert all(type(value) is float and np.isfinite(value) for value in stats.values()), stats
    assert stats["loss"] > 0  # random rewards: the untrained network cannot fit them exactly


@pytest.mark.slow  # over 4 s on 2 cores: kept out of the fast subset
def test_the_two_tower_sampled_step_returns_the_same_stats():
    import keras
    import tensorflow as tf

    from dqrec import two_tower
    from dqrec.envs import Catalogue

    catalogue = Catalogue.from_config(SHOP)
    online = two_tower.build_two_tower(SHOP, catalogue)
    target = two_tower.build_two_tower(SHOP, catalogue)
    step = two_tower.make_sampled_train_step(online, target, keras.optimizers.Adam(1e-3), 0.9)
    batch = _batch(8, np.random.default_rng(0))
    candidates = two_tower.sample_candidates(tf.constant([0, 0]), batch.actions, SHOP.num_items, 4)
    stats = step(
        batch.obs, batch.actions, batch.rewards, batch.next_obs, batch.terminated, candidates
    )
    assert set(stats) == {"loss", "mean_q"}, stats
    assert all(type(value) is float and np.isfinite(value) for value in stats.values()), stats
