"""Two-tower Q-network: brute-force NumPy check, exact chunked retrieval, sampled TD targets."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dqrec.envs import ShopConfig, VecShopEnv
from dqrec.targets import td_targets
from dqrec.two_tower import (
    build_two_tower,
    candidate_rows,
    chunked_top_k,
    make_sampled_train_step,
    retrieve_and_score,
    sample_candidates,
    sampled_td_targets,
    score_candidates,
)

SHOP = ShopConfig(num_items=300, num_categories=7, history_len=5)


@pytest.fixture(scope="module")
def shop_obs():
    env = VecShopEnv(SHOP, num_envs=12, seed=3)
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(4):  # a few steps so histories hold items and feedback
        obs, *_ = env.step(rng.integers(0, SHOP.num_items, size=12))
    return env, obs


@pytest.fixture(scope="module")
def model(shop_obs):
    keras.utils.set_random_seed(0)
    net = build_two_tower(
        SHOP, shop_obs[0].catalogue, embedding_dim=8, tower_dim=6, hidden_units=(16,)
    )
    # non-zero biases, so the bias term is really tested
    net.bias.embeddings.assign(np.random.default_rng(1).normal(size=(SHOP.num_items, 1)))
    return net


def _relu(x):
    return np.maximum(x, 0.0)


def numpy_q_values(net, obs):
    """Q(s, a) = f(s) . g(a) + b(a) computed from the weights with NumPy only."""
    h = net.history_len
    ids, feedback, features = obs[:, :h].astype(int), obs[:, h : 2 * h].astype(int), obs[:, 2 * h :]
    pairs = (
        net.history_embedding.embeddings.numpy()[ids]
        * net.feedback_gate.embeddings.numpy()[feedback]
    )
    mask = (feedback > 0)[:, :, None]
    mean = (pairs * mask).sum(1) / np.maximum(mask.sum(1), 1)
    z = np.concatenate([mean, pairs[:, -1], features], axis=1)
    for layer in net.state_layers:
        z = _relu(z @ layer.kernel.numpy() + layer.bias.numpy())
    f = z @ net.state_out.kernel.numpy() + net.state_out.bias.numpy()  # (batch, tower_dim)
    category = net.item_category.numpy().astype(int)
    x = np.concatenate(
        [
            net.id_embedding.embeddings.numpy(),
            net.category_embedding.embeddings.numpy()[category],
            net.item_price.numpy()[:, None],
        ],
        axis=1,
    )
    g = _relu(x @ net.item_hidden.kernel.numpy() + net.item_hidden.bias.numpy())
    g = g @ net.item_out.kernel.numpy() + net.item_out.bias.numpy()  # (num_items, tower_dim)
    return f @ g.T + net.bias.embeddings.numpy()[:, 0]


def test_q_values_equal_brute_force_numpy(model, shop_obs):
    obs = shop_obs[1]
    expected = numpy_q_values(model, obs)
    np.testing.assert_allclose(model(obs).numpy(), expected, rtol=1e-5, atol=1e-5)
    some = np.tile(np.array([[0, 5, 299, 5]]), (len(obs), 1))
    np.testing.assert_allclose(
        score_candidates(model, obs, some).numpy(),
        np.take_along_axis(expected, some, 1),
        rtol=1e-5,
        atol=1e-5,
    )


def test_item_features_come_from_the_catalogue(model, shop_obs):
    catalogue = shop_obs[0].catalogue
    np.testing.assert_array_equal(model.item_category.numpy(), catalogue.category)
    np.testing.assert_allclose(
        model.item_price.numpy(), catalogue.price / SHOP.price_max, rtol=1e-6
    )


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 300, 1000])
def test_chunked_top_k_is_exact_with_stable_ties(chunk_size):
    rng = np.random.default_rng(chunk_size)
    queries = rng.normal(size=(5, 3)).astype(np.float32)
    keys = rng.integers(-2, 3, size=(300, 3)).astype(np.float32)  # many exact ties
    scores = queries @ keys.T
    values, indices = chunked_top_k(tf.constant(queries), tf.constant(keys), 10, chunk_size)
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    np.testing.assert_allclose(values.numpy(), np.take_along_axis(scores, expected, 1), rtol=1e-6)
    # with ties the set of top scores is what matters; the order of equal ones is the lower id first
    np.testing.assert_array_equal(indices.numpy(), expected)


def test_chunked_top_k_rejects_bad_k():
    with pytest.raises(ValueError, match="k must be in"):
        chunked_top_k(tf.ones((1, 2)), tf.ones((3, 2)), 4)


def test_retrieve_then_score_equals_full_top_k(model, shop_obs):
    obs = shop_obs[1]
    q = model(obs).numpy()
    expected = np.argsort(-q, axis=1, kind="stable")[:, :8]
    q_top, items = retrieve_and_score(model, obs, 8, num_candidates=40, chunk_size=64)
    np.testing.assert_array_equal(items.numpy(), expected)
    np.testing.assert_allclose(
        q_top.numpy(), np.take_along_axis(q, expected, 1), rtol=1e-5, atol=1e-6
    )


def test_safe_mode_round_trip(model, shop_obs, tmp_path):
    path = tmp_path / "two_tower.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True, compile=False)
    np.testing.assert_array_equal(loaded(shop_obs[1]).numpy(), model(shop_obs[1]).numpy())
    np.testing.assert_array_equal(loaded.item_price.numpy(), model.item_price.numpy())


def test_sampled_td_targets_by_hand():
    # two transitions, three candidates shared by both; query . row gives Q:
    # row 0: query [1, 1] -> Q = [1, 3, 2] -> max 3 -> y = 0.5 + 0.9 * 3 = 3.2
    # row 1: terminated -> y = r = -1
    queries = tf.constant([[1.0, 1.0], [1.0, 0.0]])
    rows = tf.constant([[1.0, 0.0], [1.0, 2.0], [2.0, 0.0]])
    y = sampled_td_targets(tf.constant([0.5, -1.0]), tf.constant([0.0, 1.0]), queries, rows, 0.9)
    np.testing.assert_allclose(y.numpy(), [3.2, -1.0], rtol=1e-6)
    # Double DQN: online values [3, 1, 2] pick candidate 0, which the target values at 1
    online_rows = tf.constant([[3.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    y = sampled_td_targets(
        tf.constant([0.5, -1.0]),
        tf.constant([0.0, 1.0]),
        queries,
        rows,
        0.9,
        tf.constant([[1.0, 0.0]] * 2),
        online_rows,
    )
    np.testing.assert_allclose(y.numpy(), [0.5 + 0.9 * 1.0, -1.0], rtol=1e-6)


def test_sampled_targets_match_full_targets_on_all_items_and_underestimate_on_a_subset(
    model, shop_obs
):
    obs = shop_obs[1]
    n = len(obs)
    rewards, terminated = tf.zeros(n), tf.zeros(n)
    queries, table = model.augmented_queries(obs), model.item_table()
    full = td_targets(rewards, terminated, model(obs), 0.9)
    np.testing.assert_allclose(
        sampled_td_targets(rewards, terminated, queries, table, 0.9).numpy(),
        full.numpy(),
        rtol=1e-5,
        atol=1e-6,
    )
    candidates = sample_candidates(tf.constant([1, 2]), tf.zeros(n, tf.int32), SHOP.num_items, 10)
    subset = sampled_td_targets(
        rewards, terminated, queries, candidate_rows(model, candidates), 0.9
    )
    np.testing.assert_allclose(
        candidate_rows(model, candidates).numpy(), tf.gather(table, candidates).numpy(), rtol=1e-6
    )
    assert np.all(subset.numpy() <= full.numpy() + 1e-6)  # a max over a subset is never higher
    assert np.mean(subset.numpy()) < np.mean(full.numpy())


def test_sample_candidates_holds_the_logged_actions_and_is_deterministic():
    actions = tf.constant([4, 9, 0])
    a = sample_candidates(tf.constant([7, 8]), actions, 50, 20)
    b = sample_candidates(tf.constant([7, 8]), actions, 50, 20)
    assert a.shape == (23,)
    np.testing.assert_array_equal(a.numpy()[:3], [4, 9, 0])
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.numpy().min() >= 0 and a.numpy().max() < 50


@pytest.mark.slow
def test_sampled_train_step_learns_a_constant_reward(shop_obs):
    keras.utils.set_random_seed(1)
    env, obs = shop_obs
    online = build_two_tower(SHOP, env.catalogue, embedding_dim=8, tower_dim=6, hidden_units=(16,))
    target = build_two_tower(SHOP, env.catalogue, embedding_dim=8, tower_dim=6, hidden_units=(16,))
    target.set_weights(online.get_weights())
    optimizer = keras.optimizers.Adam(1e-2)
    step = make_sampled_train_step(online, target, optimizer, gamma=0.0)
    actions = tf.constant(np.arange(len(obs)) * 7, tf.int32)
    candidates = sample_candidates(tf.constant([0, 0]), actions, SHOP.num_items, 16)
    losses = [
        step(obs, actions, tf.ones(len(obs)), obs, tf.zeros(len(obs)), candidates)["loss"]
        for _ in range(60)
    ]
    assert losses[-1] < 0.1 * losses[0]  # gamma = 0: Q(s, a) -> the reward 1


def test_vec_shop_env_with_100k_items():
    config = ShopConfig(num_items=100_000)
    env = VecShopEnv(config, num_envs=4, seed=0)
    obs, _ = env.reset(seed=0)
    obs, rewards, *_ = env.step(np.array([0, 99_999, 5, 50_000]))
    assert obs.shape == (4, config.obs_dim) and rewards.shape == (4,)
    assert env.expected_rewards().shape == (4, 100_000)
    assert obs[:, config.history_len - 1].tolist() == [0, 99_999, 5, 50_000]
