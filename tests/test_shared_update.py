"""Agents of one shape share one compiled update (dqrec.shared_update)."""

import keras
import numpy as np
import pytest

from dqrec.agent import DQNAgent
from dqrec.config import AgentConfig, NetworkConfig
from dqrec.envs import ShopConfig, VecShopEnv
from dqrec.replay import ReplayBuffer
from dqrec.shared_update import _SHARED

SHOP = ShopConfig(num_items=12, history_len=4)
# a hard target copy every 3 steps, so that copies fall inside the 4-step calls
AGENT = AgentConfig(batch_size=16, target_period=3, jit_compile=False)
NETWORK = NetworkConfig(embedding_dim=8, hidden_units=(16,))


def make_agent(seed, agent_config=AGENT):
    keras.utils.set_random_seed(seed)
    return DQNAgent(
        SHOP.obs_dim,
        SHOP.num_items,
        agent_config,
        NETWORK,
        history_len=SHOP.history_len,
        num_items=SHOP.num_items,
    )


def batches(count=6, seed=0):
    env = VecShopEnv(SHOP, num_envs=32, seed=seed)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    replay = ReplayBuffer(1000, SHOP.obs_dim)
    for _ in range(8):
        actions = rng.integers(0, SHOP.num_items, 32)
        next_obs, rewards, terminated, truncated, info = env.step(actions)
        replay.add(
            obs, actions, rewards, info["final_obs"], terminated, truncated, np.full(32, 0.9)
        )
        obs = next_obs
    return [replay.sample_many(4, 16, rng) for _ in range(count)]


def state(agent):
    return [np.array(x) for x in agent.get_state().values()]


def test_an_agent_of_the_same_shape_reuses_the_compiled_update_and_gets_the_same_numbers():
    data = batches()
    first = make_agent(0)
    first.train_steps(data[0])
    first_state = state(first)
    shared = len(_SHARED)
    second = make_agent(1)  # another seed: same shape, other weights
    losses = [second.train_steps(b)["loss"] for b in data]
    assert len(_SHARED) == shared  # nothing traced for it ...
    # ... and the same numbers as an agent that compiles its own update
    alone = make_agent(1)
    alone._shape_key = ("not shared",)  # a key of its own: it traces and compiles afresh
    assert [alone.train_steps(b)["loss"] for b in data] == losses
    for a, b in zip(state(second), state(alone), strict=True):
        np.testing.assert_array_equal(a, b)
    assert second.gradient_steps == 4 * len(data)
    # the first agent, whose function the second one ran, is untouched
    for a, b in zip(state(first), first_state, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow  # over 4 s on 2 cores: kept out of the fast subset
def test_other_configs_compile_their_own_update():
    data = batches(count=1)
    make_agent(0).train_steps(data[0])
    before = len(_SHARED)
    make_agent(0, AgentConfig(batch_size=16, target_period=5, jit_compile=False)).train_steps(
        data[0]
    )
    assert len(_SHARED) == before + 1


def test_q_values_of_a_later_agent_are_its_own():
    first, second = make_agent(0), make_agent(1)
    assert second._q_concrete is not first._q_concrete  # bound to other variables ...
    obs = batches(count=1)[0].obs[0]
    np.testing.assert_allclose(second.q_values(obs), second.online(obs).numpy(), rtol=1e-6)
    np.testing.assert_allclose(first.q_values(obs), first.online(obs).numpy(), rtol=1e-6)
    assert not np.allclose(first.q_values(obs), second.q_values(obs))  # ... of its own weights
