"""The NumPy twin of the Q-network that the training loop acts with (dqrec.acting)."""

import numpy as np
import pytest

from dqrec.acting import NumpyQ
from dqrec.agent import DQNAgent
from dqrec.config import AgentConfig, NetworkConfig
from dqrec.envs import ShopConfig, VecShopEnv
from dqrec.networks import build_q_network
from dqrec.replay import ReplayBuffer

SHOP = ShopConfig()


def shop_observations(num_envs=64, steps=12, seed=0):
    """Observations with histories of every length, from padding-only to full."""
    env = VecShopEnv(SHOP, num_envs=num_envs, seed=seed)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    rows = [obs]
    for _ in range(steps):
        obs, *_ = env.step(rng.integers(0, SHOP.num_items, num_envs))
        rows.append(obs)
    return np.concatenate(rows)


def randomised(network, seed=1):
    """The network with every weight drawn at random (gates and biases included), so that
    no term of the forward pass hides behind an initial zero or one."""
    rng = np.random.default_rng(seed)
    network.set_weights(
        [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in network.get_weights()]
    )
    return network


@pytest.mark.parametrize("head", ["item", "dense"])
@pytest.mark.parametrize("dueling", [True, False])
@pytest.mark.parametrize("hidden_units", [(64,), (32, 16)])
def test_pooled_twin_matches_the_network(head, dueling, hidden_units):
    config = NetworkConfig(head=head, dueling=dueling, hidden_units=hidden_units)
    network = randomised(
        build_q_network(SHOP.obs_dim, SHOP.num_items, config, SHOP.history_len, SHOP.num_items)
    )
    obs = shop_observations()
    expected = network(obs).numpy()
    actual = NumpyQ(network)(obs)
    assert actual.shape == expected.shape and actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_mlp_twin_matches_the_network():
    config = NetworkConfig(encoder="mlp", dueling=True, hidden_units=(16, 16))
    network = randomised(build_q_network(4, 2, config))
    obs = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    np.testing.assert_allclose(NumpyQ(network)(obs), network(obs).numpy(), rtol=1e-5, atol=1e-5)


def test_gru_has_no_twin():
    config = NetworkConfig(encoder="gru")
    network = build_q_network(
        SHOP.obs_dim, SHOP.num_items, config, SHOP.history_len, SHOP.num_items
    )
    assert NumpyQ.mirror(network) is None
    with pytest.raises(ValueError, match="'gru'"):
        NumpyQ(network)


@pytest.mark.slow  # over 4 s on 2 cores: kept out of the fast subset
def test_train_steps_returns_the_updated_weights():
    """The weights the loop acts with after an update are the online network's weights."""
    agent = DQNAgent(
        SHOP.obs_dim,
        SHOP.num_items,
        AgentConfig(batch_size=32),
        NetworkConfig(),
        history_len=SHOP.history_len,
        num_items=SHOP.num_items,
    )
    obs = shop_observations(num_envs=32, steps=3)
    replay = ReplayBuffer(1000, SHOP.obs_dim)
    rng = np.random.default_rng(0)
    n = len(obs) - 32
    replay.add(
        obs[:n],
        rng.integers(0, SHOP.num_items, n),
        rng.random(n),
        obs[32:],
        np.zeros(n, bool),
        np.zeros(n, bool),
        np.full(n, 0.9),
    )
    assert agent.latest_weights is None
    twin = NumpyQ(agent.online)
    before = twin(obs)
    agent.train_steps(replay.sample_many(3, 32, rng))
    for returned, held in zip(agent.latest_weights, agent.online.get_weights(), strict=True):
        np.testing.assert_array_equal(returned, held)
    twin.set_weights(agent.latest_weights)
    after = twin(obs)
    assert not np.allclose(after, before)  # the update moved the Q-values ...
    np.testing.assert_allclose(after, agent.q_values(obs), rtol=1e-5, atol=1e-5)  # ... and the twin
    agent.set_state(agent.get_state())
    assert agent.latest_weights is None  # restored weights are not the last update's


@pytest.mark.slow  # over 8 s on 2 cores: kept out of the fast subset
def test_training_loop_acts_with_a_gru_network_too():
    """A GRU encoder has no NumPy twin: the loop falls back to the network itself."""
    from dqrec.config import TrainConfig
    from dqrec.train import train

    config = TrainConfig(
        network=NetworkConfig(encoder="gru", head="dense", embedding_dim=8, hidden_units=(16,)),
        agent=AgentConfig(batch_size=32),
        num_envs=8,
        total_steps=800,
        learning_starts=400,
        train_every=16,
        gradient_steps=2,
        eval_every=0,
        num_eval_shoppers=20,
    )
    history = train(config)
    # an update of 2 steps whenever the step count crosses a multiple of 16, from the
    # iteration that reaches learning_starts (392 -> 400) on: 800 // 16 - 392 // 16 = 26
    assert history.agent.gradient_steps == 2 * 26
    assert np.isfinite(history.losses).all() and len(history.eval_returns) == 1
