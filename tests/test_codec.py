"""The observation codec is the one definition of feedback codes and session features: the
vector env, the scalar env, a real shopper's history and logged episodes all encode alike."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from dqrec import data
from dqrec.envs import (
    CLICK,
    FEEDBACK_WORDS,
    NUM_FEEDBACK_CODES,
    NUM_SESSION_FEATURES,
    PAD_FEEDBACK,
    PURCHASE,
    SKIP,
    Catalogue,
    ShopConfig,
    ShopEnv,
    VecShopEnv,
    observation_from_history,
    session_features,
    split_observation,
)

SMALL = ShopConfig(num_items=20, num_categories=4, latent_dim=5, history_len=4, max_steps=12)


def test_session_features_worked_by_hand():
    # 4 steps: skip, click, purchase, skip -> 2 clicks (a purchase is a click), 1 purchase, 1 skip
    got = session_features(4, 2, 1, 1, history_len=4, max_steps=10)
    np.testing.assert_array_equal(got, [0.4, 0.5, 0.25, 0.25])
    np.testing.assert_array_equal(session_features(0, 0, 0, 0, 4, 10), [0, 0, 0, 0])
    # the step fraction saturates at max_steps; skips in a row at the history length
    np.testing.assert_array_equal(session_features(30, 0, 0, 30, 4, 10), [1.0, 0, 0, 1.0])
    batch = session_features(np.array([1, 2]), np.array([1, 0]), 0, np.array([0, 2]), 4, 10)
    assert batch.shape == (2, NUM_SESSION_FEATURES)


def test_feedback_codes_are_defined_once():
    assert (PAD_FEEDBACK, SKIP, CLICK, PURCHASE) == tuple(range(NUM_FEEDBACK_CODES))
    assert FEEDBACK_WORDS == {"skip": SKIP, "click": CLICK, "purchase": PURCHASE}
    assert data.FEEDBACK_CODES["purchase"] == PURCHASE and data.FEEDBACK_CODES["view"] == CLICK


def _logged_episode(items, codes):
    """A logged session with the same items and feedback, as canonical events."""
    names = {SKIP: "impression", CLICK: "click", PURCHASE: "purchase"}
    n = len(items)
    return data.build_episodes(
        pd.DataFrame(
            {
                "user": 1,
                "item": [str(i) for i in items],
                "timestamp": pd.Timestamp("2011-01-01") + pd.to_timedelta(np.arange(n), "s"),
                "event": [names[c] for c in codes],
                "value": 0.0,
                "basket": [str(k) for k in range(n)],
            }
        )
    )


@pytest.mark.parametrize("seed", [0, 3])
def test_every_encoder_gives_the_simulators_observation(seed):
    env, scalar = VecShopEnv(SMALL, num_envs=1, seed=seed), ShopEnv(SMALL, shopper_index=0)
    obs, _ = env.reset(seed=seed)
    scalar_obs, _ = scalar.reset(seed=seed)
    gen = np.random.default_rng(seed)
    items, codes = [], []
    for _ in range(SMALL.max_steps):
        action = gen.integers(0, SMALL.num_items, size=1)
        obs, _, terminated, truncated, info = env.step(action)
        scalar_obs, *_ = scalar.step(int(action[0]))
        items.append(int(action[0]))
        codes.append(SKIP + int(info["clicked"][0]) + int(info["purchased"][0]))
        shown = info["final_obs"][0]  # the observation after this step, before any autoreset
        np.testing.assert_array_equal(shown, scalar_obs)
        np.testing.assert_array_equal(shown, observation_from_history(SMALL, items, codes))
        if terminated[0] or truncated[0]:
            break
    assert len(set(codes)) > 1, "a session with one kind of feedback tests less"
    # the same session read from a log: features after each step match the simulator's
    episode = _logged_episode(items, codes)
    logged = data.session_features(
        episode, SMALL.history_len, after=True, max_steps=SMALL.max_steps
    )
    _, _, features = split_observation(shown, SMALL.history_len)
    np.testing.assert_array_equal(logged[-1], features)


def test_the_catalogue_derives_what_depends_on_the_shopper_model():
    catalogue = Catalogue.from_config(SMALL)
    dearer = dataclasses.replace(catalogue, price=catalogue.price * 3)
    env = VecShopEnv(SMALL, num_envs=2, seed=0, catalogue=dearer)
    env.reset(seed=0)
    _, p_purchase = env.click_purchase_probabilities()
    affinity = env.get_state()["preference"] @ dearer.latent.T
    logit = (
        SMALL.purchase_bias
        - SMALL.price_sensitivity * dearer.price
        + SMALL.purchase_satisfaction * dearer.satisfaction
        + SMALL.purchase_affinity * affinity
    )
    np.testing.assert_allclose(p_purchase, 1 / (1 + np.exp(-logit)), rtol=1e-12)
    cheaper = VecShopEnv(SMALL, num_envs=2, seed=0, catalogue=catalogue)
    cheaper.reset(seed=0)
    assert (cheaper.click_purchase_probabilities()[1] > p_purchase).all()  # price matters
