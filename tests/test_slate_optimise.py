"""Slate optimisation against brute force on tiny catalogues; the decomposition; baselines."""

import itertools

import numpy as np
import pytest

from dqrec.envs import ShopConfig
from dqrec.slates import SlateConfig, choice_probabilities, slate_value
from dqrec.slates.baselines import (
    MyopicOraclePolicy,
    PopularSlatePolicy,
    RandomSlatePolicy,
    TopKQPolicy,
)
from dqrec.slates.optimise import (
    best_slates,
    enumerate_slates,
    exact_slates,
    greedy_slates,
    top_k_slates,
)
from dqrec.slates.rollout import slate_rollout
from dqrec.slates.vector import VecSlateEnv

SMALL = ShopConfig(num_items=8, num_categories=2, latent_dim=3, history_len=3, max_steps=10)


def _problems(seed, count=150):
    gen = np.random.default_rng(seed)
    for _ in range(count):
        n = int(gen.integers(2, 9))
        k = int(gen.integers(1, min(n, 4) + 1))
        yield (
            gen.normal(size=(4, n)) * 2.0,  # logits
            gen.normal(size=(4, n)),  # item values
            gen.normal(size=4),  # no-click values
            k,
            float(gen.uniform(0.1, 3.0)),  # w0
        )


def test_enumeration_is_the_brute_force_of_the_decomposition():
    logits, q, q_none, k, w0 = next(_problems(0))
    slates, values = enumerate_slates(logits, q, q_none, k, w0)
    for row in range(len(logits)):
        best = max(
            slate_value(
                np.exp(logits[row : row + 1]),
                q[row : row + 1],
                q_none[row : row + 1],
                np.array([combo]),
                w0,
            )[0]
            for combo in itertools.combinations(range(logits.shape[1]), k)
        )
        assert values[row] == pytest.approx(best, rel=1e-12)
        assert len(set(slates[row])) == k


def test_exact_equals_brute_force_and_approximations_never_beat_it():
    worse = {"top_k": 0, "greedy": 0}
    for logits, q, q_none, k, w0 in _problems(1):
        _, best = enumerate_slates(logits, q, q_none, k, w0)
        slates, values = exact_slates(logits, q, q_none, k, w0)
        np.testing.assert_allclose(values, best, rtol=1e-10, atol=1e-12)
        # the reported value is the slate's value
        v = np.exp(logits - logits.max(1, keepdims=True))
        w0_rows = w0 * np.exp(-logits.max(1))
        for row in range(len(logits)):
            direct = (
                w0_rows[row] * q_none[row] + (v[row, slates[row]] * q[row, slates[row]]).sum()
            ) / (w0_rows[row] + v[row, slates[row]].sum())
            assert direct == pytest.approx(values[row], rel=1e-10, abs=1e-12)
        for name, method in (("top_k", top_k_slates), ("greedy", greedy_slates)):
            _, approx = method(logits, q, q_none, k, w0)
            assert (approx <= best + 1e-12).all()
            worse[name] += int((approx < best - 1e-9).sum())
    assert worse["top_k"] > worse["greedy"]  # top-k is the cruder approximation


def test_decomposition_is_the_expected_value_under_the_choice_model():
    gen = np.random.default_rng(2)
    logits, q, q_none = gen.normal(size=(5, 6)), gen.normal(size=(5, 6)), gen.normal(size=5)
    slates = np.array([[0, 2, 5]] * 5)
    p, p_none = choice_probabilities(np.take_along_axis(logits, slates, 1), 2.0)
    expected = (p * np.take_along_axis(q, slates, 1)).sum(1) + p_none * q_none
    np.testing.assert_allclose(slate_value(np.exp(logits), q, q_none, slates, 2.0), expected)


def test_exact_handles_huge_logits_and_large_catalogues():
    gen = np.random.default_rng(3)
    logits = gen.normal(size=(3, 100_000)) * 50.0
    q = gen.normal(size=(3, 100_000))
    slates, values = exact_slates(logits, q, 0.0, 5, 1.0)
    assert slates.shape == (3, 5) and np.isfinite(values).all()
    assert (values >= top_k_slates(logits, q, 0.0, 5, 1.0)[1] - 1e-12).all()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            (np.zeros((2, 3)), np.zeros((2, 4)), 0.0, 2, 1.0),
            r"must both have shape \(N, num_items\)",
        ),
        (
            (np.zeros((2, 3)), np.zeros((2, 3)), 0.0, 4, 1.0),
            r"slate size k must be an int in \[1, 3\], got 4",
        ),
        (
            (np.zeros((2, 3)), np.zeros((2, 3)), 0.0, 2, 0.0),
            r"no_click_weight must be a finite number > 0, got 0.0",
        ),
    ],
)
def test_bad_optimiser_inputs_are_one_clear_error(args, match):
    with pytest.raises(ValueError, match=match):
        exact_slates(*args)


def test_bad_method_and_too_many_slates():
    with pytest.raises(ValueError, match=r"slate optimiser must be one of .*, got 'lp'"):
        best_slates("lp", np.zeros((1, 3)), np.zeros((1, 3)), 0.0, 2, 1.0)
    with pytest.raises(ValueError, match=r"C\(50, 5\) = 2118760 slates exceeds max_slates"):
        enumerate_slates(np.zeros((1, 50)), np.zeros((1, 50)), 0.0, 5, 1.0)


def test_myopic_oracle_maximises_the_expected_immediate_reward():
    config = SlateConfig(SMALL, slate_size=2, no_click_weight=1.5)
    env = VecSlateEnv(config, 6, seed=4)
    env.reset()
    slates = MyopicOraclePolicy().act(None, env)
    z, r = env.choice_logits(), env.item_rewards()
    for row in range(6):
        values = {
            combo: slate_value(
                np.exp(z[row : row + 1]), r[row : row + 1], 0.0, np.array([combo]), 1.5
            )[0]
            for combo in itertools.combinations(range(8), 2)
        }
        assert values[tuple(sorted(slates[row]))] == pytest.approx(max(values.values()))
    with pytest.raises(ValueError, match="MyopicOraclePolicy needs the VecSlateEnv"):
        MyopicOraclePolicy().act(np.zeros((1, SMALL.obs_dim)), None)


def test_baselines_give_distinct_valid_slates_and_the_oracle_wins():
    config = SlateConfig(ShopConfig(), slate_size=4)
    random_policy = RandomSlatePolicy(50, 4, seed=0)
    popular = PopularSlatePolicy.fit(config, num_shoppers=300)
    obs = VecSlateEnv(config, 16).reset()[0]
    for policy in (random_policy, popular):
        slates = policy.act(obs)
        assert slates.shape == (16, 4) and all(len(set(row)) == 4 for row in slates)

    class Q:  # item values 0..49: top-k must show 49, 48, 47, 46
        def q_values(self, obs):
            return np.tile(np.arange(50.0), (len(obs), 1))

    np.testing.assert_array_equal(TopKQPolicy(Q(), 4).act(obs)[0], [49, 48, 47, 46])
    means = {
        name: slate_rollout(policy, config, 300, seed=2_000_003).returns.mean()
        for name, policy in (("random", random_policy), ("oracle", MyopicOraclePolicy()))
    }
    assert means["oracle"] > 2 * means["random"]
    with pytest.raises(ValueError, match=r"slate size k must be an int in \[1, 50\], got 0"):
        RandomSlatePolicy(50, 0)
