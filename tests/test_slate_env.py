"""Tests of the slate shop: scalar == vectorised, the k = 1 shop, check_env, the choice model,
bad inputs (one clear error each)."""

import dataclasses

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from dqrec.config import ConfigError
from dqrec.envs import ShopConfig, VecShopEnv
from dqrec.slates import SLATE_SHOP_ID, SlateConfig, choice_probabilities, duplicate_mask
from dqrec.slates.scalar import SlateShopEnv
from dqrec.slates.vector import VecSlateEnv

SMALL = ShopConfig(num_items=20, num_categories=4, latent_dim=5, history_len=4, max_steps=12)


def test_check_env_passes():
    check_env(SlateShopEnv(SlateConfig(SMALL, slate_size=3)).unwrapped, skip_render_check=True)
    check_env(SlateShopEnv().unwrapped, skip_render_check=True)
    env = gymnasium.make(SLATE_SHOP_ID, config=SlateConfig(SMALL, slate_size=2))
    assert env.action_space == gymnasium.spaces.MultiDiscrete([20, 20])
    check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("long_term_effects", [True, False])
def test_vectorised_equals_scalar_with_autoreset(long_term_effects):
    config = SlateConfig(dataclasses.replace(SMALL, long_term_effects=long_term_effects), 3)
    num_envs, seed = 8, 5
    vec = VecSlateEnv(config, num_envs, seed=seed)
    scalars = [SlateShopEnv(config, shopper_index=i) for i in range(num_envs)]
    vec_obs, _ = vec.reset()
    np.testing.assert_array_equal(vec_obs, np.stack([e.reset(seed=seed)[0] for e in scalars]))
    # random slates, duplicates included (a repeated item is shown once)
    slates = np.random.default_rng(0).integers(0, SMALL.num_items, size=(80, num_envs, 3))
    episodes, chosen = 0, 0
    for step_slates in slates:
        vec_obs, rewards, terminated, truncated, info = vec.step(step_slates)
        for i, env in enumerate(scalars):
            obs, reward, term, trunc, sinfo = env.step(step_slates[i])
            assert (term, trunc) == (terminated[i], truncated[i])
            assert (sinfo["chosen"], sinfo["position"]) == (info["chosen"][i], info["position"][i])
            assert sinfo["purchased"] == info["purchased"][i]
            np.testing.assert_allclose(reward, rewards[i], atol=1e-6)
            if term or trunc:
                np.testing.assert_array_equal(info["final_obs"][i], obs)
                obs, _ = env.reset()
                episodes += 1
            np.testing.assert_array_equal(vec_obs[i], obs)
        chosen += info["clicked"].sum()
    assert episodes >= 2 * num_envs and 0 < chosen < slates.shape[0] * num_envs


def test_one_item_slate_is_the_single_item_shop():
    config = SlateConfig(SMALL, slate_size=1, no_click_weight=1.0, shown_fatigue=1.0)
    slate_env, shop_env = VecSlateEnv(config, 8, seed=3), VecShopEnv(SMALL, 8, seed=3)
    np.testing.assert_array_equal(slate_env.reset()[0], shop_env.reset()[0])
    for items in np.random.default_rng(1).integers(0, SMALL.num_items, size=(80, 8)):
        a = slate_env.step(items[:, None])
        b = shop_env.step(items)
        for x, y in zip(a[:4], b[:4], strict=True):
            np.testing.assert_array_equal(x, y)


def test_choice_frequencies_match_the_conditional_logit():
    config = SlateConfig(SMALL, slate_size=3, no_click_weight=1.5)
    env = VecSlateEnv(config, 20_000, seed=9)
    env.reset()
    slate = np.array([3, 7, 11])
    z = env.choice_logits()[:, slate]  # (N, 3): every shopper its own logits
    p, p_none = choice_probabilities(z, 1.5)
    _, _, _, _, info = env.step(np.tile(slate, (20_000, 1)))
    for j in range(3):
        assert abs((info["position"] == j).mean() - p[:, j].mean()) < 0.015
    assert abs((info["position"] == -1).mean() - p_none.mean()) < 0.015


def test_choice_probabilities_are_stable_and_sum_to_one():
    logits = np.array([[800.0, 0.0, -800.0], [0.0, 0.0, 0.0]])
    p, p_none = choice_probabilities(logits, 1.0)
    assert np.isfinite(p).all() and np.allclose(p.sum(1) + p_none, 1.0)
    np.testing.assert_allclose(p[1], [0.25, 0.25, 0.25])
    dup = duplicate_mask(np.array([[4, 4, 2, 4]]))
    np.testing.assert_array_equal(dup, [[False, True, False, True]])
    p, p_none = choice_probabilities(np.zeros((1, 4)), 1.0, dup)
    np.testing.assert_allclose(np.r_[p[0], p_none], [1 / 3, 0, 1 / 3, 0, 1 / 3])


def test_shown_but_not_chosen_items_tire_their_category():
    config = SlateConfig(SMALL, slate_size=4, no_click_weight=3.0, shown_fatigue=0.5)
    env = VecSlateEnv(config, 64, seed=0)
    env.reset()
    *_, info = env.step(np.tile([0, 4, 1, 2], (64, 1)))  # categories 0, 0, 1, 2
    fatigue, position = env.get_state()["fatigue"], info["position"]
    expected = np.tile([1.0, 0.5, 0.5, 0.0], (64, 1))  # two category-0 items shown, not chosen
    expected[position >= 0] += 0.5 * np.eye(4)[[0, 0, 1, 2]][position[position >= 0]]
    assert 0 < (position >= 0).sum() < 64  # both cases occur
    np.testing.assert_allclose(fatigue, expected)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"slate_size": 0}, r"SlateConfig.slate_size must be an int in \[1, 20\], got 0"),
        ({"slate_size": 21}, r"slate_size must be an int in \[1, 20\], got 21"),
        ({"no_click_weight": 0.0}, r"no_click_weight must be a finite number in \(0.0"),
        ({"no_click_weight": float("nan")}, r"no_click_weight .* got nan"),
        ({"shown_fatigue": -1.0}, r"shown_fatigue must be a finite number in \[0.0"),
        ({"shop": {"num_items": 5}}, r"SlateConfig.shop must be a ShopConfig"),
    ],
)
def test_bad_config_is_one_clear_error(changes, match):
    with pytest.raises(ConfigError, match=match):
        SlateConfig(SMALL).replace(**changes)


@pytest.mark.parametrize(
    ("slates", "match"),
    [
        (
            np.zeros((2, 3), np.int64),
            r"slates must be ints of shape \(2, 2\), got int64 of shape \(2, 3\)",
        ),
        (np.zeros((2, 2)), r"slates must be ints of shape \(2, 2\), got float64"),
        (np.array([[0, 1], [2, 20]]), r"slate item 20 is not in \[0, 19\]"),
        (np.array([[0, -1], [2, 3]]), r"slate item -1 is not in \[0, 19\]"),
    ],
)
def test_bad_slates_are_one_clear_error(slates, match):
    env = VecSlateEnv(SlateConfig(SMALL, slate_size=2), 2)
    env.reset()
    with pytest.raises(ValueError, match=match):
        env.step(slates)


def test_bad_scalar_action_and_config_type():
    env = SlateShopEnv(SlateConfig(SMALL, slate_size=2))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be 2 ints in \[0, 19\], got"):
        env.step(np.array([1, 25]))
    with pytest.raises(ValueError, match=r"action must be 2 ints"):
        env.step(3)
    with pytest.raises(ValueError, match="VecSlateEnv needs a SlateConfig, got ShopConfig"):
        VecSlateEnv(SMALL, 2)
    with pytest.raises(ValueError, match="SlateShopEnv needs a SlateConfig, got ShopConfig"):
        SlateShopEnv(SMALL)
