"""The supervised backbone and the Q-augmented model (dqrec.sequential, dqrec.sqn) on tiny
synthetic logs: learning, rewards, the constant-reward error and the stability guard."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from dqrec.config import ConfigError
from dqrec.data import ItemVocabulary, build_episodes
from dqrec.offline import next_basket_cases, own_purchase_scores
from dqrec.sequential import SequentialConfig, build_model, fit_sequential, next_item_scores
from dqrec.sqn import (
    QDivergenceError,
    SQNConfig,
    event_rewards,
    fit_sqn,
    logged_transitions,
    q_bound,
    q_values,
    ranking_scores,
    value_range,
)

NUM_ITEMS, H = 8, 4  # catalogue items (the vocabulary adds "other"), history length


def cyclic_log(num_users=40, length=12, seed=0):
    """Each user buys items i, i+1, i+2, ... (mod NUM_ITEMS) from a random start, one item per
    basket; item i costs i + 1, so the next item and the value are both predictable."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(num_users):
        start = int(rng.integers(NUM_ITEMS))
        for t in range(length):
            item = (start + t) % NUM_ITEMS
            time = pd.Timestamp("2011-01-01") + pd.Timedelta(days=t)
            rows.append((user, f"i{item}", time, "purchase", float(item + 1), f"{user}-{t}"))
    return pd.DataFrame(rows, columns=["user", "item", "timestamp", "event", "value", "basket"])


@pytest.fixture(scope="module")
def logged():
    episodes = build_episodes(cyclic_log())
    catalogue = ItemVocabulary.from_events(episodes, NUM_ITEMS)
    return logged_transitions(episodes, catalogue, H), catalogue


SMALL = SequentialConfig(
    embedding_dim=8, hidden_units=(16,), batch_size=32, num_steps=300, steps_per_call=4
)


@pytest.mark.slow  # over 4 s on 2 cores: kept out of the fast subset
def test_backbone_learns_the_next_item(logged):
    transitions, catalogue = logged
    model, losses = fit_sequential(transitions, catalogue.num_items, H, SMALL, seed=0)
    scores = next_item_scores(model, transitions.obs)  # (n, num_items) log-probabilities
    has_history = transitions.obs[:, H - 1] < catalogue.num_items  # the first step cannot know
    accuracy = np.mean(scores.argmax(1)[has_history] == transitions.action[has_history])
    assert accuracy > 0.9  # random guessing: 1 / 9
    assert losses[-5:].mean() < 0.5 * losses[:5].mean()
    np.testing.assert_allclose(np.exp(scores).sum(1), 1.0, rtol=1e-4)


@pytest.mark.parametrize("encoder", ["pooled", "gru", "attention"])
def test_every_encoder_gives_logits_and_q_values(encoder):
    config = SequentialConfig(encoder=encoder, embedding_dim=8, hidden_units=(8,))
    obs = np.array([[1, 2, 9, 9, 3, 3, 0, 0, 0.5, 0.1, 0.2, 0.0]], np.float32)  # padding id 9
    obs = np.tile(obs[:, : 2 * H], (3, 1))
    features = np.zeros((3, 4), np.float32)
    obs = np.concatenate([obs, features], axis=1)
    plain = build_model(obs.shape[1], H, 9, config)
    assert plain(obs).shape == (3, 9)
    logits, q = build_model(obs.shape[1], H, 9, config, q_head=True)(obs)
    assert logits.shape == q.shape == (3, 9)


def test_repeat_counts_by_hand():
    model = build_model(2 * H, H, 5, SequentialConfig(embedding_dim=4, hidden_units=(4,)))
    obs = np.array([[2, 2, 0, 5, 3, 3, 3, 0]], np.float32)  # items 2, 2, 0 and padding (id 5)
    counts = model.repeat_counts(tf.constant(obs)).numpy()
    np.testing.assert_allclose(counts[0], np.log1p([1, 0, 2, 0, 0]), rtol=1e-6)


@pytest.mark.slow
def test_same_seed_same_model(logged):
    transitions, catalogue = logged
    config = SequentialConfig(embedding_dim=8, hidden_units=(8,), batch_size=32, num_steps=16)
    a, _ = fit_sequential(transitions, catalogue.num_items, H, config, seed=3)
    b, _ = fit_sequential(transitions, catalogue.num_items, H, config, seed=3)
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match=r"SequentialConfig.encoder must be one of"):
        SequentialConfig(encoder="lstm")
    with pytest.raises(ConfigError, match=r"SQNConfig.gamma must be"):
        SQNConfig(gamma=1.0)  # no value bound without discounting
    with pytest.raises(ConfigError, match=r"SQNConfig.on_divergence"):
        SQNConfig(on_divergence="ignore")


def test_reward_schemes_by_hand():
    episodes = pd.DataFrame(
        {"event": ["purchase", "view", "click", "cart", "purchase"], "value": [9.0, 5, 0, 0, 0]}
    )
    np.testing.assert_allclose(event_rewards(episodes, "value"), [np.log(10), 0, 0, 0, 0])
    np.testing.assert_array_equal(event_rewards(episodes, "purchase"), [1, 0, 0, 0, 1])
    np.testing.assert_allclose(event_rewards(episodes, "engagement"), [1, 0.1, 0.2, 0.5, 1])
    with pytest.raises(ValueError, match=r"reward scheme must be one of .* got 'revenue'"):
        event_rewards(episodes, "revenue")


def test_constant_reward_is_an_error():
    episodes = build_episodes(cyclic_log(num_users=3, length=4))
    catalogue = ItemVocabulary.from_events(episodes, NUM_ITEMS)
    # every row is a purchase: "purchase" gives 1.0 everywhere, no information
    with pytest.raises(ValueError, match=r"'purchase' gives every one of the 12 .* same reward"):
        logged_transitions(episodes, catalogue, H, reward="purchase")


def test_q_bound_and_value_range():
    assert q_bound(np.array([0.5, -2.0, 1.0]), 0.5) == pytest.approx(4.0)
    assert value_range(np.array([0.5, -2.0, 1.0]), 0.5) == pytest.approx((-4.0, 2.0))
    assert value_range(np.array([0.5, 1.0]), 0.5) == pytest.approx((0.0, 2.0))  # 0: no reward


@pytest.mark.slow  # over 8 s on 2 cores: kept out of the fast subset
def test_q_values_stay_in_range_on_a_normal_run(logged):
    transitions, catalogue = logged
    config = SQNConfig(network=SequentialConfig(**{**SMALL.__dict__, "num_steps": 400}))
    result = fit_sqn(transitions, catalogue.num_items, H, config, seed=0)
    assert not result.diverged
    assert len(result.max_abs_q) == 10  # one check every 10 calls of 4 steps
    assert np.all(result.max_abs_q <= result.bound)  # |Q| <= max |r| / (1 - gamma)
    q = q_values(result.model, transitions.obs)  # every logged state, every item
    assert np.abs(q).max() <= result.bound
    # the Q-head learned something: the logged item's value tracks its reward (item i is worth
    # log(i + 2)), so items are ranked by value more than chance would
    taken = q[np.arange(len(q)), transitions.action]
    assert np.corrcoef(taken, transitions.reward)[0, 1] > 0.5


@pytest.mark.slow
def test_q_values_stay_in_range_over_a_long_run(logged):
    transitions, catalogue = logged
    network = SequentialConfig(**{**SMALL.__dict__, "num_steps": 6000})
    config = SQNConfig(network=network)
    result = fit_sqn(transitions, catalogue.num_items, H, config, seed=1)
    assert not result.diverged and len(result.max_abs_q) == 150
    # the range penalty is soft: a value may touch the bound between checks, never run away
    assert np.all(result.max_abs_q <= (1 + config.tolerance) * result.bound)
    assert result.max_abs_q[-1] <= result.bound


UNSTABLE = SQNConfig(
    network=SequentialConfig(
        embedding_dim=8,
        hidden_units=(16,),
        batch_size=32,
        num_steps=400,
        lr=3.0,
        grad_clip_norm=1e9,
        steps_per_call=4,
    ),
    gamma=0.9,
    keep_in_range=False,
    check_every=2,
)


@pytest.mark.slow  # over 8 s on 2 cores: kept out of the fast subset
def test_a_diverging_run_raises(logged):
    transitions, catalogue = logged
    with pytest.raises(QDivergenceError, match=r"Q-values diverged: Q in .* outside the range"):
        fit_sqn(transitions, catalogue.num_items, H, UNSTABLE, seed=0)


@pytest.mark.slow
def test_a_diverging_run_is_flagged(logged):
    transitions, catalogue = logged
    config = SQNConfig(**{**UNSTABLE.__dict__, "on_divergence": "flag"})
    result = fit_sqn(transitions, catalogue.num_items, H, config, seed=0)
    assert result.diverged
    low, high = result.value_range
    q_min, q_max = result.q_range[-1]  # outside the range (with the tolerance), or nan:
    assert not (low - 0.05 * (high - low) <= q_min <= q_max <= high + 0.05 * (high - low))
    assert result.check_steps[-1] < 400  # training stopped at the failed check


def test_ranking_scores_combine_logits_and_q(logged):
    transitions, catalogue = logged
    obs = transitions.obs[:5]
    model = build_model(obs.shape[1], H, catalogue.num_items, SMALL, q_head=True)
    logits, q = (x.numpy() for x in model(obs))
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(ranking_scores(model, obs), log_p, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ranking_scores(model, obs, 0.5), log_p + 0.5 * q, atol=1e-4)


def test_own_purchase_scores_count_the_past_only():
    log = pd.DataFrame(
        [
            (1, "a", "2011-01-01", "b1"),
            (1, "a", "2011-01-02", "b2"),
            (1, "b", "2011-01-02", "b2"),
            (1, "c", "2011-03-01", "b3"),  # test basket 1: history a, a, b
            (1, "b", "2011-03-02", "b4"),  # test basket 2: history a, a, b, c
            (2, "b", "2011-03-01", "b5"),  # new customer: popularity only
        ],
        columns=["user", "item", "timestamp", "basket"],
    ).assign(event="purchase", value=1.0, timestamp=lambda d: pd.to_datetime(d["timestamp"]))
    episodes = build_episodes(log)
    catalogue = ItemVocabulary.from_events(log, 3)  # b (3 buys), a (2), c (1), then other
    popularity = np.array([3.0, 2.0, 1.0, 0.0])
    scores = own_purchase_scores(episodes, catalogue, "2011-03-01", popularity)
    cases = next_basket_cases(episodes, catalogue, 2, "2011-03-01")
    assert len(scores) == len(cases.obs) == 3
    tiebreak = 0.5 * popularity / 4.0
    np.testing.assert_allclose(scores[0], tiebreak + [1, 2, 0, 0])  # b once, a twice
    np.testing.assert_allclose(scores[1], tiebreak + [1, 2, 1, 0])
    np.testing.assert_allclose(scores[2], tiebreak)
