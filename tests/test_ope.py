"""Off-policy estimators against hand-computed values, plus two properties."""

import numpy as np
import pytest

from dqrec import ope

# Three logged one-step interactions.
REWARDS = np.array([1.0, 0.0, 2.0])
TARGET = np.array([0.5, 0.2, 0.9])  # pi(a_i | x_i)
LOGGING = np.array([0.25, 0.5, 0.3])  # mu(a_i | x_i)
# ratios w = [2, 0.4, 3]; w * r = [2, 0, 6]


def test_ips_and_snips_by_hand():
    assert ope.ips(REWARDS, TARGET, LOGGING) == pytest.approx(8 / 3)  # (2 + 0 + 6) / 3
    assert ope.snips(REWARDS, TARGET, LOGGING) == pytest.approx(8 / 5.4)  # 8 / (2 + 0.4 + 3)


def test_direct_method_and_doubly_robust_by_hand():
    q_hat_logged = np.array([0.5, 0.5, 1.0])
    v_hat = np.array([0.6, 0.4, 1.2])
    assert ope.direct_method(v_hat) == pytest.approx(2.2 / 3)
    # v + w (r - q): 0.6 + 2 * 0.5 = 1.6; 0.4 + 0.4 * -0.5 = 0.2; 1.2 + 3 * 1.0 = 4.2
    # mean = 6.0 / 3 = 2.0
    dr = ope.doubly_robust(REWARDS, TARGET, LOGGING, q_hat_logged, v_hat)
    assert dr == pytest.approx(2.0)


def test_positivity_is_checked():
    with pytest.raises(ValueError, match="positivity"):
        ope.ips(REWARDS, TARGET, [0.5, 0.0, 0.5])


# Two episodes, T = 3; the second has 2 real steps.
SEQ_REWARDS = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 9.0]])  # 9.0 sits in padding: ignored
SEQ_RATIOS = np.array([[2.0, 0.5, 1.0], [0.5, 4.0, 7.0]])
SEQ_MASK = np.array([[1, 1, 1], [1, 1, 0]])
GAMMA = 0.5


def test_per_decision_ips_by_hand():
    # cumulative weights: ep0 [2, 1, 1]; ep1 [0.5, 2, 2 (padding keeps the final weight)]
    # ep0: 1*2*1 + 0.5*1*0 + 0.25*1*2 = 2.5 ; ep1: 0 + 0.5*2*1 + 0 = 1.0 ; mean = 1.75
    assert ope.per_decision_ips(SEQ_REWARDS, SEQ_RATIOS, SEQ_MASK, GAMMA) == pytest.approx(1.75)


def test_weighted_per_decision_ips_by_hand():
    # t=0: weights [2, 0.5] / 2.5 -> [0.8, 0.2]; sum w r = 0.8 * 1 + 0.2 * 0 = 0.8
    # t=1: weights [1, 2] / 3 -> [1/3, 2/3];   sum w r = 2/3 * 1 = 2/3, discounted 0.5 -> 1/3
    # t=2: weights [1, 2] / 3;                 sum w r = 1/3 * 2 = 2/3, discounted 0.25 -> 1/6
    # total = 0.8 + 1/3 + 1/6 = 1.3
    value = ope.weighted_per_decision_ips(SEQ_REWARDS, SEQ_RATIOS, SEQ_MASK, GAMMA)
    assert value == pytest.approx(1.3)


def test_sequential_doubly_robust_by_hand():
    q_hat = np.array([[1.0, 1.0, 1.0], [0.5, 0.5, 0.5]])
    v_hat = np.array([[1.5, 0.5, 1.0], [1.0, 0.0, 3.0]])
    # ep0, backwards: DR_2 = 1.0 + 1.0 * (2 + 0 - 1) = 2.0
    #   DR_1 = 0.5 + 0.5 * (0 + 0.5 * 2.0 - 1) = 0.5 ; DR_0 = 1.5 + 2 * (1 + 0.25 - 1) = 2.0
    # ep1: t=2 padded -> 0 ; DR_1 = 0 + 4 * (1 + 0 - 0.5) = 2.0
    #   DR_0 = 1.0 + 0.5 * (0 + 0.5 * 2.0 - 0.5) = 1.25 ; mean = (2.0 + 1.25) / 2 = 1.625
    dr = ope.sequential_doubly_robust(SEQ_REWARDS, SEQ_RATIOS, q_hat, v_hat, SEQ_MASK, GAMMA)
    assert dr == pytest.approx(1.625)


def test_on_policy_ratios_give_the_on_policy_mean():
    rng = np.random.default_rng(0)
    rewards = rng.normal(size=50)
    probs = rng.uniform(0.1, 1.0, size=50)  # target == logging policy
    assert ope.ips(rewards, probs, probs) == pytest.approx(rewards.mean())
    assert ope.snips(rewards, probs, probs) == pytest.approx(rewards.mean())
    seq = rng.normal(size=(20, 6))
    mask = np.arange(6)[None, :] < rng.integers(1, 7, size=20)[:, None]
    returns = np.sum(np.where(mask, seq, 0.0) * 0.9 ** np.arange(6), axis=1)
    ones = np.ones_like(seq)
    assert ope.per_decision_ips(seq, ones, mask, 0.9) == pytest.approx(returns.mean())
    assert ope.weighted_per_decision_ips(seq, ones, mask, 0.9) == pytest.approx(returns.mean())


def test_doubly_robust_with_perfect_model_has_zero_variance():
    # One context, 3 actions, deterministic rewards r(a); logging mu, target pi.
    r = np.array([1.0, 3.0, 0.0])
    mu, pi = np.array([0.5, 0.25, 0.25]), np.array([0.1, 0.8, 0.1])
    true_value = float(pi @ r)  # 0.1 + 2.4 + 0 = 2.5
    rng = np.random.default_rng(1)
    actions = rng.choice(3, size=200, p=mu)
    per_sample = [
        ope.doubly_robust([r[a]], [pi[a]], [mu[a]], [r[a]], [true_value]) for a in actions
    ]
    assert np.std(per_sample) == pytest.approx(0.0, abs=1e-12)
    assert np.mean(per_sample) == pytest.approx(true_value)
    # IPS on the same samples does vary: that variance is what DR removes
    assert np.std([ope.ips([r[a]], [pi[a]], [mu[a]]) for a in actions]) > 1.0


def test_sequential_doubly_robust_with_perfect_model_has_zero_variance():
    # Deterministic 2-step chain: the state is the step t; reward r_t(a), gamma 0.9.
    # Exact Q for pi: Q_1(a) = r_1(a); Q_0(a) = r_0(a) + 0.9 V_1 with V_t = pi @ Q_t.
    r0, r1 = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    mu, pi = np.array([0.5, 0.5]), np.array([0.2, 0.8])
    q1 = r1
    v1 = pi @ q1  # 1.6
    q0 = r0 + 0.9 * v1
    v0 = pi @ q0  # 0.2 + 1.44 = 1.64
    rng = np.random.default_rng(2)
    estimates = []
    for a0, a1 in rng.choice(2, size=(100, 2), p=mu):
        estimates.append(
            ope.sequential_doubly_robust(
                [[r0[a0], r1[a1]]],
                [[pi[a0] / mu[a0], pi[a1] / mu[a1]]],
                [[q0[a0], q1[a1]]],
                [[v0, v1]],
                [[1, 1]],
                0.9,
            )
        )
    assert np.std(estimates) == pytest.approx(0.0, abs=1e-12)
    assert np.mean(estimates) == pytest.approx(v0)
