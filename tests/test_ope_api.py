"""The OPE API on logged bandit data: one clear error per bad input, the evaluation policy as an
action distribution (with or without positions), and estimates that find a known value."""

import numpy as np
import pytest

from dqrec import ope

N, A, P = 4, 3, 2
REWARDS = np.array([1.0, 0.0, 2.0, 1.0])
ACTIONS = np.array([0, 1, 2, 0])
LOGGING = np.array([0.5, 0.25, 0.25, 0.5])
DIST = np.array([[0.6, 0.2, 0.2], [0.1, 0.8, 0.1], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
Q_HAT = np.arange(N * A, dtype=float).reshape(N, A) / 10


def test_action_distribution_gives_the_hand_computed_estimates():
    got = ope.evaluate_bandit(REWARDS, ACTIONS, LOGGING, DIST, q_hat=Q_HAT)
    target = np.array([0.6, 0.8, 0.5, 1.0])  # pi of the logged actions
    w = target / LOGGING  # [1.2, 3.2, 2.0, 2.0]
    assert got["ips"] == pytest.approx(np.mean(w * REWARDS))  # (1.2 + 0 + 4 + 2) / 4 = 1.8
    assert got["ips"] == pytest.approx(1.8)
    assert got["snips"] == pytest.approx(7.2 / 8.4)
    v_hat = (DIST * Q_HAT).sum(axis=1)
    assert got["dm"] == pytest.approx(v_hat.mean())
    q_logged = Q_HAT[np.arange(N), ACTIONS]
    assert got["dr"] == pytest.approx(np.mean(v_hat + w * (REWARDS - q_logged)))


def test_positions_pick_the_slot_of_each_logged_row():
    dist = np.stack([DIST, DIST[:, ::-1]], axis=2)  # (N, A, P): slot 1 reverses the order
    positions = np.array([0, 1, 1, 0])
    q_hat = np.stack([Q_HAT, 2 * Q_HAT], axis=2)
    got = ope.evaluate_bandit(REWARDS, ACTIONS, LOGGING, dist, q_hat=q_hat, positions=positions)
    target = dist[np.arange(N), ACTIONS, positions]
    np.testing.assert_array_equal(target, [0.6, 0.8, 0.0, 1.0])
    assert got["ips"] == pytest.approx(ope.ips(REWARDS, target, LOGGING))
    v_hat = (dist * q_hat).sum(axis=1)[np.arange(N), positions]
    assert got["dm"] == pytest.approx(v_hat.mean())


def test_unbiased_on_simulated_logs_with_positions():
    # contexts x in {0, 1}, 4 actions, 2 slots; the reward depends on x, a and the slot
    gen = np.random.default_rng(0)
    n, actions, slots = 200_000, 4, 2
    mean_reward = gen.uniform(0, 1, size=(2, actions, slots))
    x = gen.integers(0, 2, n)
    positions = gen.integers(0, slots, n)
    mu = np.full(actions, 1 / actions)  # uniform logging
    logged = gen.integers(0, actions, n)
    rewards = (gen.random(n) < mean_reward[x, logged, positions]).astype(float)
    pi = np.zeros((2, actions, slots))
    pi[:, 0, 0], pi[:, 1, 0] = 0.7, 0.3  # slot 0: mostly action 0
    pi[:, 3, 1] = 1.0  # slot 1: always action 3
    truth = np.mean((pi * mean_reward).sum(axis=1)[x, positions])
    got = ope.evaluate_bandit(rewards, logged, mu[logged], pi[x], positions=positions)
    assert got["ips"] == pytest.approx(truth, abs=0.01) and got["snips"] == pytest.approx(
        truth, abs=0.01
    )


BAD = [
    # (call, message)
    (lambda: ope.snips(REWARDS[:, None], DIST[:, 0], LOGGING), "rewards must be 1-D"),
    (lambda: ope.ips(REWARDS[:3], DIST[:, 0], LOGGING), "rewards has 3 values, expected 4"),
    (
        lambda: ope.ips(REWARDS, DIST[:, 0], [0.5, 0.0, 0.5, 0.5]),
        r"logging_probs\[1\] is 0.0.*positivity",
    ),
    (lambda: ope.ips(REWARDS, DIST[:, 0], [0.5, 1.5, 0.5, 0.5]), r"logging_probs\[1\] is 1.5"),
    (lambda: ope.ips(REWARDS, [0.5, 2, 0.5, 0.5], LOGGING), r"target_probs\[1\] is 2.0"),
    (lambda: ope.ips([1, np.nan, 0, 1], DIST[:, 0], LOGGING), r"rewards\[1\] is nan"),
    (lambda: ope.ips([], [], []), "is empty"),
    (lambda: ope.snips(REWARDS, np.zeros(4), LOGGING), "SNIPS is undefined"),
    (
        lambda: ope.doubly_robust(REWARDS, DIST[:, 0], LOGGING, [0.1], [0, 0, 0, 0]),
        "q_hat_logged has 1",
    ),
    (lambda: ope.evaluate_bandit(REWARDS, ACTIONS, LOGGING, DIST * [1, 1, 0]), "row 0 sums to 0.8"),
    (lambda: ope.evaluate_bandit(REWARDS, [0, 1, 3, 0], LOGGING, DIST), r"actions\[2\] is 3"),
    (
        lambda: ope.evaluate_bandit(REWARDS, ACTIONS.astype(float), LOGGING, DIST),
        "must be 4 integers",
    ),
    (lambda: ope.evaluate_bandit(REWARDS, ACTIONS, LOGGING, DIST[0]), "action_dist must be"),
    (lambda: ope.evaluate_bandit(REWARDS, ACTIONS, LOGGING, DIST[:, :, None]), "pass positions"),
    (
        lambda: ope.evaluate_bandit(REWARDS, ACTIONS, LOGGING, DIST, positions=ACTIONS),
        "no positions axis",
    ),
    (
        lambda: ope.evaluate_bandit(REWARDS, ACTIONS, LOGGING, DIST, q_hat=Q_HAT[:, :2]),
        "q_hat must be",
    ),
    (lambda: ope.per_decision_ips([[1.0]], [[1.0]], [[2]], 0.9), "mask must hold 0/1"),
    (lambda: ope.per_decision_ips([[1.0]], [[1.0]], [[1]], 1.5), "gamma is 1.5"),
    (
        lambda: ope.per_decision_ips([[1.0, 2.0]], [[1.0]], [[1]], 0.5),
        r"rewards has shape \(1, 2\)",
    ),
    (lambda: ope.per_decision_ips([[1.0]], [[-1.0]], [[1]], 0.5), "ratios must be >= 0"),
    (lambda: ope.per_decision_ips([[np.inf]], [[1.0]], [[1]], 0.5), "non-finite value on a real"),
]


@pytest.mark.parametrize(("call", "message"), BAD, ids=[m[:24] for _, m in BAD])
def test_bad_input_is_one_clear_error(call, message):
    with pytest.raises(ope.OPEInputError, match=message) as info:
        call()
    assert "\n" not in str(info.value) and isinstance(info.value, ValueError)


def test_padding_may_hold_anything():
    value = ope.per_decision_ips([[1.0, np.nan]], [[1.0, np.inf]], [[1, 0]], 0.5)
    assert value == pytest.approx(1.0)
