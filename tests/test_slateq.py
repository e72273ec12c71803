"""SlateQ: its TD targets against brute force on a tiny catalogue, the choice model's loss,
training end to end on a small shop, bad configs."""

import itertools

import numpy as np
import pytest

from dqrec.config import ConfigError, NetworkConfig
from dqrec.envs import ShopConfig
from dqrec.slates import SlateConfig, slate_value
from dqrec.slates.slateq import SlateQAgent, SlateQConfig, SlateReplay
from dqrec.slates.train import train_slateq
from dqrec.slates.vector import VecSlateEnv

TINY = SlateConfig(
    ShopConfig(num_items=6, num_categories=2, latent_dim=3, history_len=3, max_steps=8), 2
)
NET = NetworkConfig(head="dense", dueling=False, embedding_dim=4, hidden_units=(8,))


def _batch(config, size=16, seed=0):
    """Transitions of random slates on the shop, as ``SlateReplay.sample`` returns them."""
    env = VecSlateEnv(config, size, seed=seed)
    obs, _ = env.reset()
    gen = np.random.default_rng(seed)
    slates = np.stack([gen.permutation(config.shop.num_items)[: config.slate_size] for _ in obs])
    next_obs, rewards, terminated, _, info = env.step(slates)
    next_slates = np.roll(slates, 1, axis=0)
    replay = SlateReplay(size, config.shop.obs_dim, config.slate_size)
    replay.add(
        obs=obs,
        slates=slates,
        positions=info["position"],
        chosen=np.maximum(info["chosen"], 0),
        rewards=rewards.astype(np.float64),
        next_obs=info["final_obs"],
        terminated=terminated.astype(np.float64),
        next_slates=next_slates,
    )
    return {name: array.copy() for name, array in replay.data.items()}


@pytest.mark.parametrize("target", ["q_learning", "sarsa"])
def test_targets_equal_brute_force_decomposition(target):
    agent = SlateQAgent(TINY, SlateQConfig(gamma=0.8, target=target, network=NET), seed=1)
    batch = _batch(TINY)
    batch["terminated"][:3] = 1.0
    q = agent.target_network(batch["next_obs"]).numpy().astype(np.float64)
    z = agent.choice_network(batch["next_obs"]).numpy().astype(np.float64)
    expected = []
    for row in range(len(q)):
        args = (np.exp(z[row : row + 1]), q[row : row + 1, :-1], q[row, -1:])
        if target == "q_learning":
            combos = itertools.combinations(range(6), 2)
            value = max(slate_value(*args, np.array([c]), 1.0)[0] for c in combos)
        else:
            value = slate_value(*args, batch["next_slates"][row : row + 1], 1.0)[0]
        expected.append(batch["rewards"][row] + 0.8 * (1 - batch["terminated"][row]) * value)
    np.testing.assert_allclose(agent.targets(batch), expected, rtol=1e-5, atol=1e-6)


def test_myopic_target_is_the_reward_and_slates_are_valid():
    agent = SlateQAgent(TINY, SlateQConfig(gamma=0.0, network=NET))
    batch = _batch(TINY)
    np.testing.assert_array_equal(agent.targets(batch), batch["rewards"])
    slates, values = agent.slates(batch["obs"])
    assert slates.shape == (16, 2) and np.isfinite(values).all()
    assert all(len(set(row)) == 2 for row in slates)
    for method in ("top_k", "greedy"):  # never better than the exact optimiser
        assert (agent.slates(batch["obs"], method)[1] <= values + 1e-9).all()


def test_the_choice_network_fits_the_conditional_logit():
    """Gradient steps on logged choices lower the choice loss to near the true model's."""
    agent = SlateQAgent(TINY, SlateQConfig(gamma=0.0, lr=1e-2, network=NET))
    batch = _batch(TINY, size=512, seed=3)
    first = agent.train_step(batch)["choice_loss"]
    for _ in range(150):
        last = agent.train_step(batch)["choice_loss"]
    assert last < first - 0.1
    assert agent.gradient_steps == 151


@pytest.mark.slow  # over 4 s on 2 cores: kept out of the fast subset
def test_training_runs_end_to_end_and_beats_random():
    from dqrec.slates.baselines import RandomSlatePolicy
    from dqrec.slates.rollout import slate_rollout

    config = SlateConfig(ShopConfig(num_items=12, num_categories=3, max_steps=20), 3)
    history = train_slateq(
        config,
        SlateQConfig(network=NET, target="sarsa"),
        total_steps=6000,
        learning_starts=500,
        epsilon_decay_steps=3000,
    )
    assert len(history.losses) > 50 and np.isfinite(history.losses).all()
    trained = slate_rollout(history.agent, config, 300, seed=2_000_003).returns.mean()
    random = slate_rollout(RandomSlatePolicy(12, 3), config, 300, seed=2_000_003).returns.mean()
    assert trained > random


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"total_steps": 0}, r"train_slateq: total_steps must be an int >= 1, got 0"),
        ({"num_envs": 2.5}, r"train_slateq: num_envs must be an int >= 1, got 2.5"),
        ({"epsilon_end": 1.5}, r"train_slateq: epsilon_end must be a number in \[0, 1\], got 1.5"),
    ],
)
def test_bad_training_arguments_are_one_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_slateq(TINY, SlateQConfig(network=NET), **kwargs)


def test_bad_agent_configs_are_one_clear_error():
    with pytest.raises(ValueError, match="SlateQAgent needs a SlateConfig, got ShopConfig"):
        SlateQAgent(TINY.shop)
    with pytest.raises(ValueError, match="SlateQAgent needs a SlateQConfig, got dict"):
        SlateQAgent(TINY, {"gamma": 0.5})


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (
            {"target": "td"},
            r"SlateQConfig.target must be one of \('q_learning', 'sarsa'\), got 'td'",
        ),
        ({"optimiser": "enumerate"}, r"SlateQConfig.optimiser must be one of .*got 'enumerate'"),
        ({"gamma": 1.5}, r"SlateQConfig.gamma must be a finite number in \[0.0, 1.0\], got 1.5"),
        ({"batch_size": 0}, r"SlateQConfig.batch_size must be an int in \[1, 1000000\], got 0"),
    ],
)
def test_bad_slateq_config_is_one_clear_error(changes, match):
    with pytest.raises(ConfigError, match=match):
        SlateQConfig(**changes)
