"""TD targets against numbers worked out by hand (in the comments)."""

import numpy as np

from dqrec.targets import td_targets

REWARDS = np.array([1.0, 0.5, 2.0], np.float32)
NEXT_Q_TARGET = np.array([[1.0, 3.0], [4.0, 2.0], [5.0, 6.0]], np.float32)
NEXT_Q_ONLINE = np.array([[2.0, 1.0], [0.0, 9.0], [1.0, 0.0]], np.float32)


def test_plain_dqn_target():
    # y = r + 0.9 * max_a' Q_target(s', a'):
    #   1.0 + 0.9 * 3.0 = 3.7;  0.5 + 0.9 * 4.0 = 4.1;  2.0 + 0.9 * 6.0 = 7.4
    y = td_targets(REWARDS, np.zeros(3), NEXT_Q_TARGET, 0.9).numpy()
    np.testing.assert_allclose(y, [3.7, 4.1, 7.4], rtol=1e-6)


def test_double_dqn_target_uses_online_argmax_and_target_value():
    # online argmax: row 0 -> a=0, row 1 -> a=1, row 2 -> a=0; target values 1.0, 2.0, 5.0
    #   1.0 + 0.9 * 1.0 = 1.9;  0.5 + 0.9 * 2.0 = 2.3;  2.0 + 0.9 * 5.0 = 6.5
    y = td_targets(REWARDS, np.zeros(3), NEXT_Q_TARGET, 0.9, NEXT_Q_ONLINE).numpy()
    np.testing.assert_allclose(y, [1.9, 2.3, 6.5], rtol=1e-6)


def test_terminated_stops_bootstrapping():
    # row 1 terminated: y = r = 0.5; the others as in the plain case
    y = td_targets(REWARDS, np.array([0.0, 1.0, 0.0]), NEXT_Q_TARGET, 0.9).numpy()
    np.testing.assert_allclose(y, [3.7, 0.5, 7.4], rtol=1e-6)
    y = td_targets(REWARDS, np.array([1.0, 1.0, 1.0]), NEXT_Q_TARGET, 0.9, NEXT_Q_ONLINE).numpy()
    np.testing.assert_allclose(y, REWARDS, rtol=1e-6)


def test_truncated_still_bootstraps():
    # A truncated transition is stored with terminated = 0, so it keeps its bootstrap term;
    # td_targets has no truncated argument at all. Same numbers as the plain case.
    terminated = np.array([False, False, False])
    y = td_targets(REWARDS, terminated, NEXT_Q_TARGET, 0.9).numpy()
    np.testing.assert_allclose(y, [3.7, 4.1, 7.4], rtol=1e-6)


def test_gamma_zero_is_the_immediate_reward():
    y = td_targets(REWARDS, np.zeros(3), NEXT_Q_TARGET, 0.0).numpy()
    np.testing.assert_allclose(y, REWARDS)
