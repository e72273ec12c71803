"""The agent learns a small task whose optimal Q-values are known exactly."""

import gymnasium
import numpy as np
import pytest

from dqrec.config import AgentConfig, NetworkConfig, TrainConfig
from dqrec.train import train

GAMMA = 0.9


class ChainEnv(gymnasium.Env):
    """A 4-state chain: "wait" (action 0) moves one state right, reward 0; at the last state
    it pays 1 and terminates. "Grab" (action 1) pays 0.3 at once and terminates.

    Optimal values with gamma = 0.9 (s = 0..3, worked by hand):
        Q*(3, wait) = 1;             Q*(3, grab) = 0.3
        Q*(2, wait) = 0.9 * 1 = 0.9; Q*(s, grab) = 0.3 for every s
        Q*(1, wait) = 0.81;          Q*(0, wait) = 0.729
    so the optimal policy always waits, while a myopic one (gamma = 0) grabs.
    Episodes are cut (truncated, not terminated) after 20 steps, which never binds here.
    """

    def __init__(self):
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (4,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(2)

    def _obs(self):
        return np.eye(4, dtype=np.float32)[self.state]

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state, self.t = 0, 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        if action == 1:
            return self._obs(), 0.3, True, False, {}
        if self.state == 3:
            return self._obs(), 1.0, True, False, {}
        self.state += 1
        return self._obs(), 0.0, False, self.t >= 20, {}


Q_STAR = np.array([[0.729, 0.3], [0.81, 0.3], [0.9, 0.3], [1.0, 0.3]])

if "dqrec-test/Chain-v0" not in gymnasium.registry:
    gymnasium.register("dqrec-test/Chain-v0", entry_point=ChainEnv)


def _config(gamma, **agent):
    return TrainConfig(
        env_id="dqrec-test/Chain-v0",
        network=NetworkConfig(encoder="mlp", hidden_units=(32,)),
        agent=AgentConfig(
            gamma=gamma, lr=3e-3, batch_size=64, target_period=50, jit_compile=False, **agent
        ),
        num_envs=8,
        total_steps=6_000,
        learning_starts=500,
        train_every=8,
        gradient_steps=2,
        replay_capacity=6_000,
        epsilon_decay_steps=3_000,
        eval_every=0,
        num_eval_shoppers=4,
    )


@pytest.mark.slow
@pytest.mark.parametrize("double_dqn", [True, False])
def test_dqn_learns_the_optimal_q_values(double_dqn):
    history = train(_config(GAMMA, double_dqn=double_dqn))
    q_values = history.agent.q_values(np.eye(4, dtype=np.float32))
    np.testing.assert_allclose(q_values, Q_STAR, atol=0.08)
    assert history.final_eval["mean_return"] == pytest.approx(1.0)  # waits to the end


@pytest.mark.slow
def test_gamma_zero_learns_the_myopic_policy():
    history = train(_config(0.0, target_update="polyak", tau=0.05))
    q_values = history.agent.q_values(np.eye(4, dtype=np.float32))
    # gamma = 0: Q(s, a) = r(s, a): grab 0.3 everywhere, wait 0 except 1 at the last state
    np.testing.assert_allclose(q_values, [[0, 0.3], [0, 0.3], [0, 0.3], [1, 0.3]], atol=0.05)
    np.testing.assert_array_equal(q_values.argmax(axis=1), [1, 1, 1, 0])  # grabs at once
