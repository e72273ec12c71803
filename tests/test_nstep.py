"""n-step transitions against a slow, obviously correct reference."""

import numpy as np
import pytest

from dqrec.nstep import NStepWindow
from dqrec.targets import td_targets


def reference(steps, n, gamma, env):
    """n-step transitions of one env, written plainly from its list of one-step steps."""
    out = []
    for t in range(len(steps) - n + 1):  # the window emits once n steps follow t
        ret, disc = 0.0, 1.0
        for k in range(n):
            obs, action, reward, next_obs, term, trunc = steps[t + k]
            ret += disc * reward
            disc *= gamma
            if term or trunc:
                break
        out.append((steps[t][0], steps[t][1], ret, next_obs, term, trunc and not term, disc))
    return out


@pytest.mark.parametrize("n", [1, 2, 4])
def test_window_matches_the_reference(n):
    rng = np.random.default_rng(n)
    num_envs, gamma, num_steps = 5, 0.9, 40
    window = NStepWindow(n, gamma, num_envs, obs_dim=2)
    per_env = [[] for _ in range(num_envs)]
    emitted = []
    for t in range(num_steps):
        obs = rng.random((num_envs, 2)).astype(np.float32)
        actions = rng.integers(0, 3, num_envs)
        rewards = rng.random(num_envs).astype(np.float32)
        next_obs = rng.random((num_envs, 2)).astype(np.float32)
        terminated = rng.random(num_envs) < 0.15
        truncated = ~terminated & (rng.random(num_envs) < 0.1)
        for e in range(num_envs):
            per_env[e].append(
                (obs[e], actions[e], rewards[e], next_obs[e], terminated[e], truncated[e])
            )
        ready = window.push(obs, actions, rewards, next_obs, terminated, truncated)
        assert (ready is None) == (t < n - 1)
        if ready is not None:
            emitted.append(ready)
    for e in range(num_envs):
        expected = reference(per_env[e], n, gamma, e)
        assert len(expected) == len(emitted)
        for got, want in zip(emitted, expected, strict=True):
            np.testing.assert_allclose(got[0][e], want[0])
            assert got[1][e] == want[1]
            np.testing.assert_allclose(got[2][e], want[2], rtol=1e-6)
            np.testing.assert_allclose(got[3][e], want[3])
            assert (got[4][e], got[5][e]) == (want[4], want[5])
            np.testing.assert_allclose(got[6][e], want[6], rtol=1e-6)


def test_two_step_example_by_hand():
    # one env, gamma 0.5: rewards 1, 2 then the session terminates at the second step
    window = NStepWindow(2, 0.5, 1, obs_dim=1)
    o = [np.array([[float(i)]], np.float32) for i in range(4)]
    assert window.push(o[0], [0], [1.0], o[1], np.array([False]), np.array([False])) is None
    ready = window.push(o[1], [1], [2.0], o[2], np.array([True]), np.array([False]))
    # from s0: R = 1 + 0.5 * 2 = 2, ends terminated at s2, discount 0.25
    assert ready[2][0] == 2.0 and ready[3][0, 0] == 2.0 and ready[4][0] and ready[6][0] == 0.25
    ready = window.push(o[3], [0], [4.0], o[0], np.array([False]), np.array([False]))
    # from s1: the session ended right after it: R = 2, terminated, discount 0.5
    assert ready[2][0] == 2.0 and ready[4][0] and ready[6][0] == 0.5


def test_td_targets_take_per_transition_discounts():
    # y = R + discount * (1 - terminated) * max Q': 2 + 0.81 * 5 = 6.05; 1 + 0.9 * 0 (terminal)
    y = td_targets(
        np.array([2.0, 1.0]),
        np.array([0.0, 1.0]),
        np.array([[5.0, 1.0], [3.0, 2.0]]),
        np.array([0.81, 0.9], np.float32),
    ).numpy()
    np.testing.assert_allclose(y, [6.05, 1.0], rtol=1e-6)
