"""The rollout against a slow, obviously correct reference: one ``ShopEnv`` per shopper."""

import numpy as np

from dqrec.baselines import PopularityPolicy
from dqrec.envs import ShopConfig, ShopEnv, VecShopEnv
from dqrec.rollout import rollout, run_sessions

SHOP = ShopConfig(num_items=15, num_categories=3, history_len=4, max_steps=12)


def reference_sessions(policy, config, num_shoppers, seed):
    """Shopper i's first session, played alone in ``ShopEnv(shopper_index=i)``."""
    rows = []
    for i in range(num_shoppers):
        env = ShopEnv(config, shopper_index=i)
        obs, _ = env.reset(seed=seed)
        total, steps, clicks, purchases, revenue, items, bought = 0.0, 0, 0, 0, 0.0, set(), []
        done = False
        while not done:
            item = int(policy.act(obs[None])[0])
            obs, reward, terminated, truncated, info = env.step(item)
            total, steps = total + reward, steps + 1
            clicks, purchases = clicks + info["clicked"], purchases + info["purchased"]
            revenue += info["revenue"]
            items.add(item)
            bought += [item] if info["purchased"] else []
            done = terminated or truncated
        rows.append((total, steps, clicks, purchases, revenue, items, bought))
    return rows


def test_rollout_matches_one_scalar_env_per_shopper():
    # a deterministic policy of the observation alone, so both runs recommend the same items
    policy = PopularityPolicy(np.linspace(1.0, 2.0, SHOP.num_items), SHOP.history_len)
    sessions = rollout(policy, SHOP, num_shoppers=9, seed=5)
    reference = reference_sessions(policy, SHOP, num_shoppers=9, seed=5)
    total, steps, clicks, purchases, revenue, items, bought = zip(*reference, strict=True)
    np.testing.assert_allclose(sessions.returns, total, rtol=1e-5)
    np.testing.assert_array_equal(sessions.lengths, steps)
    np.testing.assert_array_equal(sessions.clicks, clicks)
    np.testing.assert_array_equal(sessions.purchases, purchases)
    np.testing.assert_allclose(sessions.revenue, sum(revenue), rtol=1e-9)
    np.testing.assert_array_equal(np.flatnonzero(sessions.shown), sorted(set().union(*items)))
    assert sorted(sessions.bought) == sorted(sum(bought, []))
    assert sessions.lengths.min() < SHOP.max_steps  # some sessions ended early: the mask mattered


def test_on_step_sees_each_step_with_its_own_mask():
    env = VecShopEnv(SHOP, num_envs=6, seed=2)
    obs, _ = env.reset(seed=2)
    steps = []
    policy = PopularityPolicy(np.arange(SHOP.num_items, dtype=float), SHOP.history_len)
    returns, lengths = run_sessions(policy, env, obs, on_step=steps.append)
    assert [step.t for step in steps] == list(range(len(steps)))
    active = np.stack([step.active for step in steps])  # (T, N) kept masks, not overwritten
    np.testing.assert_array_equal(active.sum(axis=0), lengths)
    rewards = np.stack([np.where(s.active, s.rewards, 0.0) for s in steps])
    np.testing.assert_allclose(rewards.sum(axis=0), returns)
    assert active[-1].any()  # the loop stops once no row is left in its first session
    assert all(step.env is env and step.obs.shape == (6, SHOP.obs_dim) for step in steps)
