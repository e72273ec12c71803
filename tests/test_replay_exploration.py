"""Replay buffer and epsilon-greedy exploration."""

import numpy as np
import pytest

from dqrec.exploration import LinearSchedule, epsilon_greedy
from dqrec.replay import ReplayBuffer


def _add(buffer, start, n):
    values = np.arange(start, start + n, dtype=np.float32)
    buffer.add(
        values[:, None] * np.ones((1, 3)),
        values.astype(int),
        values,
        values[:, None] + 0.5,
        values % 2,
        np.zeros(n),
        np.full(n, 0.9),
    )


def test_ring_buffer_wraps_and_keeps_the_newest():
    buffer = ReplayBuffer(capacity=5, obs_dim=3)
    _add(buffer, 0, 3)
    assert len(buffer) == 3 and not buffer.full
    _add(buffer, 3, 4)  # 7 transitions into 5 slots: 0 and 1 are overwritten
    assert len(buffer) == 5 and buffer.full
    assert sorted(buffer.rewards.tolist()) == [2, 3, 4, 5, 6]
    np.testing.assert_array_equal(buffer.next_obs[:, 0], buffer.rewards + 0.5)


def test_sampling_is_reproducible_and_consistent():
    buffer = ReplayBuffer(capacity=100, obs_dim=3)
    _add(buffer, 0, 50)
    a = buffer.sample(32, np.random.default_rng(1))
    b = buffer.sample(32, np.random.default_rng(1))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.obs[:, 0], a.rewards)  # fields of one transition stay aligned
    np.testing.assert_array_equal(a.terminated, a.rewards % 2)
    many = buffer.sample_many(4, 8, np.random.default_rng(2))
    assert many.obs.shape == (4, 8, 3) and many.actions.shape == (4, 8)


def test_state_dict_round_trip():
    buffer = ReplayBuffer(capacity=10, obs_dim=3)
    _add(buffer, 0, 13)
    copy = ReplayBuffer(capacity=10, obs_dim=3)
    copy.load_state_dict(buffer.state_dict())
    assert (copy.pos, copy.full) == (buffer.pos, buffer.full)
    np.testing.assert_array_equal(copy.obs, buffer.obs)


def test_empty_buffer_refuses_to_sample():
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(4, 2).sample(1, np.random.default_rng(0))


def test_linear_schedule():
    schedule = LinearSchedule(1.0, 0.1, 100)
    assert schedule(0) == 1.0 and schedule(100) == pytest.approx(0.1) and schedule(10**6) == 0.1
    assert schedule(50) == pytest.approx(0.55)


def test_one_coin_per_environment():
    q_values = np.tile(np.arange(10.0), (10_000, 1))  # greedy action is always 9
    actions = epsilon_greedy(q_values, 0.5, np.random.default_rng(0))
    explored = actions != 9
    # each row explores on its own: about half of the rows explore and pick a random
    # non-greedy action with probability 9/10, so about 45% differ from the greedy one
    assert 0.42 < explored.mean() < 0.48
    assert 0 < explored.sum() < len(actions)  # not all-or-nothing as a shared coin would give
    np.testing.assert_array_equal(epsilon_greedy(q_values[:5], 0.0, np.random.default_rng(0)), 9)
