"""Tests for dqrec.tabular: the update rule by hand, exact Q*, and learning on the tiny shop."""

import numpy as np
import pytest

from dqrec.tabular import (
    bellman_backup,
    greedy_policy,
    q_learning_update,
    sample_step,
    tabular_q_learning,
    td_target,
    tiny_shop_mdp,
    value_iteration,
)


def worked_example_table():
    # Two states, two actions. Q(0, 1) = 2.0 is the entry we update; max_a' Q(1, a') = 3.0.
    return np.array([[0.0, 2.0], [3.0, -1.0]])


def test_worked_example_by_hand():
    q = worked_example_table()
    # target = r + gamma * max_a' Q(s', a') = 1 + 0.9 * 3.0 = 3.7
    assert td_target(q, r=1.0, s_next=1, terminated=False, gamma=0.9) == pytest.approx(3.7)
    # new Q = Q + alpha * (target - Q) = 2.0 + 0.1 * (3.7 - 2.0) = 2.0 + 0.17 = 2.17
    new_q = q_learning_update(q, s=0, a=1, r=1.0, s_next=1, terminated=False, alpha=0.1, gamma=0.9)
    assert new_q[0, 1] == pytest.approx(2.17)
    # every other entry is untouched, and the input table is not modified (pure function)
    np.testing.assert_array_equal(np.delete(new_q.ravel(), 1), np.delete(q.ravel(), 1))
    np.testing.assert_array_equal(q, worked_example_table())


def test_terminal_transition_does_not_bootstrap():
    q = worked_example_table()
    # target = r + gamma * (1 - 1) * 3.0 = 1.0
    assert td_target(q, r=1.0, s_next=1, terminated=True, gamma=0.9) == pytest.approx(1.0)
    # new Q = 2.0 + 0.1 * (1.0 - 2.0) = 1.9
    new_q = q_learning_update(q, s=0, a=1, r=1.0, s_next=1, terminated=True, alpha=0.1, gamma=0.9)
    assert new_q[0, 1] == pytest.approx(1.9)


def test_tiny_shop_is_a_valid_mdp():
    mdp = tiny_shop_mdp()
    num_states, num_actions = mdp.rewards.shape
    assert mdp.transitions.shape == (num_states, num_actions, num_states)
    np.testing.assert_allclose(mdp.transitions.sum(axis=-1), 1.0)
    np.testing.assert_allclose(mdp.start_probs.sum(), 1.0)
    assert mdp.start_probs[mdp.terminal].sum() == 0.0
    assert len(mdp.state_names) == num_states and len(mdp.action_names) == num_actions


def test_value_iteration_satisfies_bellman_optimality():
    mdp = tiny_shop_mdp()
    for gamma in (0.0, 0.5, 0.9):
        q_star = value_iteration(mdp, gamma, tol=1e-12)
        np.testing.assert_allclose(bellman_backup(mdp, q_star, gamma), q_star, atol=1e-9)
        # written out once without the helper: R + gamma * sum_s' P * (1 - terminal) * max Q*
        next_value = (1.0 - mdp.terminal) * q_star.max(axis=1)
        expected = mdp.rewards + gamma * np.einsum("sat,t->sa", mdp.transitions, next_value)
        np.testing.assert_allclose(q_star, expected, atol=1e-9)
        np.testing.assert_array_equal(q_star[mdp.terminal], 0.0)


def test_optimal_policy_differs_from_myopic():
    mdp = tiny_shop_mdp()
    clickbait = mdp.action_names.index("clickbait")
    niche = mdp.action_names.index("niche-match")
    live = ~mdp.terminal
    myopic = greedy_policy(value_iteration(mdp, gamma=0.0))
    far_sighted = greedy_policy(value_iteration(mdp, gamma=0.9))
    # gamma = 0: Q* = R, so the greedy recommender shows clickbait in every live mood
    np.testing.assert_array_equal(myopic, greedy_policy(mdp.rewards))
    assert np.all(myopic[live] == clickbait)
    assert np.all(far_sighted[live] == niche)


def test_sample_step_follows_the_transition_probabilities():
    mdp = tiny_shop_mdp()
    rng = np.random.default_rng(0)
    s, a = 0, 2  # browsing, clickbait
    draws = [sample_step(mdp, s, a, rng) for _ in range(4000)]
    counts = np.bincount([d[0] for d in draws], minlength=len(mdp.state_names))
    np.testing.assert_allclose(counts / len(draws), mdp.transitions[s, a], atol=0.03)
    assert all(r == mdp.rewards[s, a] for _, r, _ in draws)
    assert all(term == mdp.terminal[s_next] for s_next, _, term in draws)


def test_q_learning_converges_to_q_star():
    mdp = tiny_shop_mdp()
    q_star = value_iteration(mdp)
    q, history = tabular_q_learning(mdp, num_episodes=6000, alpha=0.01, epsilon=0.2, seed=1)
    assert history.shape == (6000,)
    assert history[-1] == pytest.approx(np.max(np.abs(q - q_star)))
    # a small constant step size leaves a little noise: within 10% of the largest value
    assert history[-1] < 0.1 * np.max(np.abs(q_star))
    assert history[-1] < 0.2 * history[99]
    np.testing.assert_array_equal(
        greedy_policy(q)[~mdp.terminal], greedy_policy(q_star)[~mdp.terminal]
    )


def test_q_learning_is_deterministic_given_a_seed():
    mdp = tiny_shop_mdp()
    q1, h1 = tabular_q_learning(mdp, num_episodes=200, seed=3)
    q2, h2 = tabular_q_learning(mdp, num_episodes=200, seed=3)
    np.testing.assert_array_equal(q1, q2)
    np.testing.assert_array_equal(h1, h2)


def test_tabular_target_matches_td_targets():
    pytest.importorskip("tensorflow")
    from dqrec.targets import td_targets

    rng = np.random.default_rng(0)
    q = rng.normal(size=(4, 3))
    rewards = rng.normal(size=8)
    next_states = rng.integers(0, 4, size=8)
    terminated = rng.random(8) < 0.3
    tabular = [
        td_target(q, r, s_next, term, gamma=0.9)
        for r, s_next, term in zip(rewards, next_states, terminated, strict=True)
    ]
    batched = td_targets(rewards, terminated, q[next_states], gamma=0.9).numpy()
    np.testing.assert_allclose(tabular, batched, rtol=1e-5, atol=1e-6)
    # and the worked example, through the TensorFlow function: 1 + 0.9 * 3.0 = 3.7
    worked = td_targets([1.0, 1.0], [False, True], [[3.0, -1.0], [3.0, -1.0]], gamma=0.9)
    np.testing.assert_allclose(worked.numpy(), [3.7, 1.0], rtol=1e-6)
