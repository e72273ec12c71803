"""Logged data for off-policy evaluation: valid probabilities, reproducible logs, and IPS
recovering the truth when the target policy is the logging policy."""

import numpy as np
import pytest

from dqrec import ope
from dqrec.envs import ShopConfig
from dqrec.ope_sim import (
    SoftmaxPolicy,
    collect_logs,
    default_policies,
    estimate_all,
    target_probs,
    true_value,
)

CONFIG = ShopConfig(max_steps=20)


@pytest.fixture(scope="module")
def policies():
    return default_policies(CONFIG)


def test_probabilities_are_positive_and_sum_to_one(policies):
    logs = collect_logs(CONFIG, policies[0], num_sessions=50, seed=3)
    obs = logs.obs[logs.mask]  # real observations, with histories of clicks and skips
    for policy in policies:
        probs = policy.probabilities(obs)
        assert probs.shape == (len(obs), CONFIG.num_items)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
        assert probs.min() >= 0.3 / CONFIG.num_items * (1 - 1e-12)  # the uniform share
    assert not np.allclose(policies[0].probabilities(obs), policies[1].probabilities(obs))


def test_positivity_is_required():
    with pytest.raises(ValueError, match="epsilon"):
        SoftmaxPolicy(lambda obs: np.zeros((len(obs), 3)), temperature=1.0, epsilon=0.0)


def test_logs_are_reproducible_by_seed(policies):
    a = collect_logs(CONFIG, policies[0], num_sessions=40, seed=11)
    b = collect_logs(CONFIG, policies[0], num_sessions=40, seed=11)
    c = collect_logs(CONFIG, policies[0], num_sessions=40, seed=12)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.actions, c.actions)
    assert a.mask[:, 0].all() and (a.logging_probs[~a.mask] == 1).all()
    # the logged propensity is the logging policy's probability of the logged item
    np.testing.assert_allclose(target_probs(a, policies[0]), a.logging_probs)


def test_ips_recovers_the_truth_on_policy(policies):
    logging = policies[0]
    truth = true_value(CONFIG, logging, num_sessions=4000, seed=1)
    logs = collect_logs(CONFIG, logging, num_sessions=2000, seed=2)
    ratios = target_probs(logs, logging) / logs.logging_probs  # all ones
    np.testing.assert_allclose(ratios, 1.0)
    first = ope.ips(logs.rewards[:, 0], logs.logging_probs[:, 0], logs.logging_probs[:, 0])
    session = ope.per_decision_ips(logs.rewards, ratios, logs.mask, gamma=1.0)
    returns = logs.rewards.sum(axis=1)
    tolerance = 4 * returns.std() / np.sqrt(len(returns)) + 2 * truth.session_ci
    assert session == pytest.approx(truth.session_return, abs=tolerance)
    assert first == pytest.approx(truth.first_reward, abs=4 * logs.rewards[:, 0].std() / 44)


def test_estimate_all_on_policy(policies):
    logs = collect_logs(CONFIG, policies[0], num_sessions=200, seed=5)
    estimates = estimate_all(logs, policies[0], CONFIG)
    assert all(np.isfinite(v) for v in estimates.values())
    # with pi = mu every ratio is 1: both per-decision estimators are the plain mean return
    assert estimates["pdis"] == pytest.approx(logs.rewards.sum(axis=1).mean())
    assert estimates["wpdis"] == pytest.approx(estimates["pdis"])
