"""Tests of the shop simulator: Gymnasium API, scalar == vectorised, seeding, config checks."""

import dataclasses

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import dqrec
from dqrec import rng
from dqrec.config import ConfigError
from dqrec.envs import (
    CLICK,
    NUM_SESSION_FEATURES,
    PAD_FEEDBACK,
    PURCHASE,
    SKIP,
    Catalogue,
    ShopConfig,
    ShopEnv,
    VecShopEnv,
    split_observation,
)

SMALL = ShopConfig(num_items=20, num_categories=4, latent_dim=5, history_len=4, max_steps=12)


def test_check_env_passes():
    check_env(ShopEnv(SMALL).unwrapped, skip_render_check=True)
    check_env(ShopEnv().unwrapped, skip_render_check=True)


def test_gymnasium_make_after_import_dqrec():
    assert dqrec.ShopEnv is ShopEnv
    env = gymnasium.make("dqrec/Shop-v0")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (ShopConfig().obs_dim,) and obs.dtype == np.float32
    check_env(env.unwrapped, skip_render_check=True)
    env = gymnasium.make("dqrec/Shop-v0", config=SMALL, shopper_index=3)
    assert env.observation_space.shape == (SMALL.obs_dim,)


def test_counter_based_rng_scalar_equals_vector():
    key = rng.shopper_key(7, np.arange(5), np.array([0, 1, 2, 3, 2**40]))
    for i, episode in enumerate([0, 1, 2, 3, 2**40]):
        assert int(key[i]) == rng.shopper_key_scalar(7, i, episode)
        assert rng.uniform(key[i : i + 1], 12)[0] == rng.uniform_scalar(int(key[i]), 12)
        normals = rng.normal(key[i : i + 1], 3, 4)[0]
        np.testing.assert_allclose(normals, rng.normal_scalar(int(key[i]), 3, 4), rtol=1e-12)
    u = rng.uniform(key[:, None], np.arange(1000))
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02


@pytest.mark.parametrize("long_term_effects", [True, False])
def test_vectorised_equals_scalar_with_autoreset(long_term_effects):
    config = dataclasses.replace(SMALL, long_term_effects=long_term_effects)
    num_envs, seed = 8, 11
    vec = VecShopEnv(config, num_envs, seed=seed)
    scalars = [ShopEnv(config, shopper_index=i) for i in range(num_envs)]
    vec_obs, _ = vec.reset()
    scalar_obs = [env.reset(seed=seed)[0] for env in scalars]
    np.testing.assert_array_equal(vec_obs, np.stack(scalar_obs))
    actions = np.random.default_rng(0).integers(0, config.num_items, size=(60, num_envs))
    episodes_done = 0
    for step_actions in actions:
        vec_obs, rewards, terminated, truncated, info = vec.step(step_actions)
        for i, env in enumerate(scalars):
            obs, reward, term, trunc, sinfo = env.step(int(step_actions[i]))
            assert (term, trunc) == (terminated[i], truncated[i])
            assert sinfo["clicked"] == info["clicked"][i]
            assert sinfo["purchased"] == info["purchased"][i]
            np.testing.assert_allclose(reward, rewards[i], atol=1e-6)
            if term or trunc:
                np.testing.assert_allclose(info["final_obs"][i], obs, atol=1e-6)
                obs, _ = env.reset()  # the next episode number, as the autoreset does
                episodes_done += 1
            np.testing.assert_allclose(vec_obs[i], obs, atol=1e-6)
    assert episodes_done >= 2 * num_envs  # several episodes per shopper were compared


def test_expected_rewards_scalar_equals_vectorised():
    vec = VecShopEnv(SMALL, 3, seed=5)
    vec.reset()
    env = ShopEnv(SMALL, shopper_index=2)
    env.reset(seed=5)
    for action in [0, 1, 1, 7]:
        vec.step(np.full(3, action))
        env.step(action)
    expected = vec.expected_rewards()
    assert expected.shape == (3, SMALL.num_items)
    np.testing.assert_allclose(expected[2], env.expected_rewards(), rtol=1e-9)


def _trajectory(seed, num_steps=30):
    env = VecShopEnv(SMALL, 4, seed=seed)
    obs, _ = env.reset()
    out = [obs]
    for t in range(num_steps):
        obs, rewards, terminated, truncated, _ = env.step(np.full(4, t % SMALL.num_items))
        out += [obs, rewards, terminated, truncated]
    return out


def test_same_seed_same_trajectory_different_seed_differs():
    first, again, other = _trajectory(1), _trajectory(1), _trajectory(2)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_observation_format():
    h = SMALL.history_len
    env = ShopEnv(SMALL)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (2 * h + NUM_SESSION_FEATURES,)
    ids, feedback, features = split_observation(obs, h)
    assert ids.dtype == np.int32 and feedback.dtype == np.int32 and features.dtype == np.float32
    assert (ids == SMALL.num_items).all() and (feedback == PAD_FEEDBACK).all()
    assert (features == 0).all()
    for item in [3, 5]:
        obs, *_ = env.step(item)
    ids, feedback, features = split_observation(obs, h)
    assert ids.tolist() == [SMALL.num_items] * (h - 2) + [3, 5]  # most recent last
    assert (feedback[: h - 2] == PAD_FEEDBACK).all()
    assert set(feedback[h - 2 :]) <= {SKIP, CLICK, PURCHASE}
    assert features[0] == pytest.approx(2 / SMALL.max_steps)
    assert obs in env.observation_space
    # the same codes from the vectorised env, for a batch of observations
    vec = VecShopEnv(SMALL, 2, seed=0)
    vec.reset()
    vec_obs = vec.step(np.array([3, 3]))[0]
    ids, feedback, features = split_observation(vec_obs, h)
    assert ids.shape == (2, h) and ids[:, -1].tolist() == [3, 3]
    assert features.shape == (2, NUM_SESSION_FEATURES)


def test_feedback_codes_match_info():
    vec = VecShopEnv(ShopConfig(), 256, seed=4)
    vec.reset()
    obs, _, _, _, info = vec.step(np.arange(256) % 50)
    _, feedback, _ = split_observation(info["final_obs"], ShopConfig().history_len)
    expected = np.where(info["purchased"], PURCHASE, np.where(info["clicked"], CLICK, SKIP))
    np.testing.assert_array_equal(feedback[:, -1], expected)
    assert info["clicked"].any() and (~info["clicked"]).any() and info["purchased"].any()
    assert (info["revenue"][~info["purchased"]] == 0).all()


def _session_lengths(config, policy, seed=3, num_envs=64):
    env = VecShopEnv(config, num_envs, seed=seed)
    env.reset()
    lengths, alive, t = np.zeros(num_envs, dtype=int), np.ones(num_envs, bool), 0
    while alive.any():
        _, _, terminated, truncated, _ = env.step(policy(t))
        lengths += alive
        alive &= ~(terminated | truncated)
        t += 1
    return lengths


def test_without_long_term_effects_the_future_ignores_actions():
    config = dataclasses.replace(ShopConfig(), long_term_effects=False)
    clickbait = np.flatnonzero(Catalogue.from_config(config).is_clickbait)[0]
    always_clickbait = _session_lengths(config, lambda t: np.full(64, clickbait))
    cycling = _session_lengths(config, lambda t: np.full(64, (7 * t) % config.num_items))
    np.testing.assert_array_equal(always_clickbait, cycling)
    # with long-term effects the same two policies give different session lengths
    assert not np.array_equal(
        _session_lengths(ShopConfig(), lambda t: np.full(64, clickbait)),
        _session_lengths(ShopConfig(), lambda t: np.full(64, (7 * t) % 50)),
    )


def test_get_state_set_state_gives_identical_futures():
    env = VecShopEnv(SMALL, 5, seed=9)
    env.reset()
    actions = np.random.default_rng(1).integers(0, SMALL.num_items, size=(40, 5))
    for a in actions[:13]:
        env.step(a)
    state = env.get_state()
    first = [env.step(a) for a in actions[13:]]
    restored = VecShopEnv(SMALL, 5, seed=0)
    restored.set_state(state)
    second = [restored.step(a) for a in actions[13:]]
    for one, two in zip(first, second, strict=True):
        for x, y in zip(one[:4], two[:4], strict=True):
            np.testing.assert_array_equal(x, y)
    assert env.get_state()["patience"] is not env._patience  # a copy, not a view


def test_truncation_at_max_steps_is_not_termination():
    config = dataclasses.replace(SMALL, patience_min=1e6, patience_max=1e6)
    env = ShopEnv(config)
    env.reset(seed=0)
    for t in range(config.max_steps):
        _, _, terminated, truncated, _ = env.step(t % config.num_items)
        assert not terminated
        assert truncated == (t == config.max_steps - 1)
    vec = VecShopEnv(config, 3)
    vec.reset()
    for _ in range(config.max_steps):
        _, _, terminated, truncated, info = vec.step(np.zeros(3, dtype=int))
    assert truncated.all() and not terminated.any()
    assert (info["episode_length"] == config.max_steps).all()


def test_patience_running_out_terminates():
    lengths = _session_lengths(ShopConfig(), lambda t: np.full(64, t % 50))
    assert lengths.min() < ShopConfig().max_steps  # sessions that ended by termination


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("num_items", 1),
        ("num_items", 2.5),
        ("num_categories", 0),
        ("num_categories", 101),
        ("latent_dim", 0),
        ("history_len", 0),
        ("max_steps", 0),
        ("catalogue_seed", -1),
        ("long_term_effects", 1),
        ("item_spread", -0.1),
        ("clickbait_fraction", 1.5),
        ("price_min", -1.0),
        ("price_max", 0.1),
        ("appeal_std", -1.0),
        ("clickbait_appeal", float("nan")),
        ("satisfaction_max", -1.0),
        ("clickbait_satisfaction", float("inf")),
        ("affinity_scale", -1.0),
        ("click_bias", "high"),
        ("purchase_bias", None),
        ("purchase_affinity", -1.0),
        ("price_sensitivity", -1.0),
        ("purchase_satisfaction", -1.0),
        ("fatigue_weight", -1.0),
        ("fatigue_decay", 1.5),
        ("drift_rate", -0.1),
        ("patience_min", 0.0),
        ("patience_max", 1.0),
        ("step_cost", -1.0),
        ("skip_cost", -1.0),
        ("satisfaction_weight", -1.0),
        ("passive_drain", 0.0),
        ("revenue_weight", -1.0),
        ("click_weight", True),
    ],
)
def test_config_validation_names_field_value_and_range(field, value):
    with pytest.raises(ConfigError, match=rf"ShopConfig\.{field} must be .*\[.*got {value!r}"):
        ShopConfig(**{field: value})


def test_every_config_field_has_a_validation_test():
    tested = {
        name for name, _ in test_config_validation_names_field_value_and_range.pytestmark[0].args[1]
    }
    assert tested == {f.name for f in dataclasses.fields(ShopConfig)}


def test_bad_actions_are_rejected():
    vec = VecShopEnv(SMALL, 2)
    vec.reset()
    with pytest.raises(ValueError, match="actions"):
        vec.step(np.array([0, SMALL.num_items]))
    with pytest.raises(ValueError, match="actions"):
        vec.step(np.array([0.0, 1.0]))
    env = ShopEnv(SMALL)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(-1)


def test_reset_without_seed_moves_every_shopper_to_its_next_episode():
    vec = VecShopEnv(SMALL, 3, seed=21)
    env = ShopEnv(SMALL, shopper_index=1)
    first, _ = vec.reset()
    env.reset(seed=21)
    vec.step(np.array([1, 2, 3]))
    second, _ = vec.reset()  # episode 1 for every shopper
    np.testing.assert_array_equal(second[1], env.reset()[0])
    obs, rewards, *_ = vec.step(np.array([4, 4, 4]))
    scalar_obs, reward, *_ = env.step(4)
    np.testing.assert_allclose(obs[1], scalar_obs, atol=1e-6)
    assert reward == pytest.approx(rewards[1], abs=1e-6)
    assert np.array_equal(vec.reset(seed=21)[0], first)


def test_observation_from_history_matches_the_env():
    from dqrec.envs import observation_from_history

    config = ShopConfig(history_len=4)
    env = ShopEnv(config)
    obs, _ = env.reset(seed=3)
    items, feedback = [], []
    for action in [5, 17, 5, 42, 8, 49, 0]:
        obs, *_ = env.step(action)
        items.append(action)
        feedback.append(int(obs[2 * config.history_len - 1]))  # the newest feedback code
        np.testing.assert_allclose(observation_from_history(config, items, feedback), obs)


def test_observation_from_history_rejects_bad_input():
    from dqrec.envs import observation_from_history

    config = ShopConfig()
    with pytest.raises(ValueError, match="item id 50"):
        observation_from_history(config, [50], [1])
    with pytest.raises(ValueError, match="feedback code 0"):
        observation_from_history(config, [1], [0])
