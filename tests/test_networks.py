"""The pooled history encoder: both its forms (counted for small catalogues, gathered for
large ones) equal the textbook mean of gathered pairs, in value and gradient."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dqrec.envs import ShopConfig, VecShopEnv
from dqrec.networks import PooledHistoryEncoder

SHOP = ShopConfig(num_items=12, history_len=5)


@pytest.fixture(scope="module", params=["counted", "gathered"])
def encoder_and_obs(request):
    keras.utils.set_random_seed(0)
    encoder = PooledHistoryEncoder(SHOP.history_len, SHOP.num_items, embedding_dim=6)
    assert encoder.counts_pairs()  # a small catalogue is counted by default
    if request.param == "gathered":  # as for a catalogue too large to count
        encoder.COUNTING_MAX_CODES = 0
        assert not encoder.counts_pairs()
    encoder.build()
    rng = np.random.default_rng(1)
    # random gates (not the initial ones), so a wrong feedback row would show
    encoder.feedback_gate.embeddings.assign(rng.normal(size=(4, 6)))
    env = VecShopEnv(SHOP, num_envs=64, seed=0)
    first, _ = env.reset(seed=0)  # empty histories: every pair is padding
    observations = [first]
    for _ in range(8):  # short catalogue, long sessions: repeated items in one history
        obs, *_ = env.step(rng.integers(0, SHOP.num_items, size=64))
        observations.append(obs)
    return encoder, np.concatenate(observations).astype(np.float32)


def gathered_mean(encoder, obs):
    """The textbook form: gather the H pairs ``E[i_t] * F[f_t]``, average the real ones."""
    h = encoder.history_len
    items, feedback = tf.cast(obs[:, :h], tf.int32), tf.cast(obs[:, h : 2 * h], tf.int32)
    pairs = tf.gather(encoder.item_embedding.embeddings, items) * tf.gather(
        encoder.feedback_gate.embeddings, feedback
    )  # (batch, H, E)
    weights = tf.cast(feedback > 0, tf.float32)[:, :, None]
    mean = tf.reduce_sum(pairs * weights, 1) / tf.maximum(tf.reduce_sum(weights, 1), 1.0)
    return tf.concat([mean, pairs[:, -1], obs[:, 2 * h :]], -1)


def test_the_observations_hold_empty_and_repeated_histories(encoder_and_obs):
    _, obs = encoder_and_obs
    h = SHOP.history_len
    assert (obs[:, h : 2 * h] == 0).all(axis=1).any()  # a history of padding only
    items = obs[:, :h] * (obs[:, h : 2 * h] > 0) - (obs[:, h : 2 * h] == 0)
    assert any(len(set(row[row >= 0])) < (row >= 0).sum() for row in items)  # an item twice


@pytest.mark.parametrize("jit_compile", [False, True])
def test_encoder_equals_the_gathered_mean_and_its_gradient(encoder_and_obs, jit_compile):
    encoder, obs = encoder_and_obs
    obs = tf.constant(obs)
    weights = [encoder.item_embedding.embeddings, encoder.feedback_gate.embeddings]
    probe = tf.random.stateless_normal((obs.shape[0], 2 * 6 + 4), seed=(0, 1))

    @tf.function(jit_compile=jit_compile)
    def outputs_and_gradients(fn):
        with tf.GradientTape() as tape:
            out = fn(obs)
            loss = tf.reduce_sum(out * probe)
        return out, tape.gradient(loss, weights)

    out, grads = outputs_and_gradients(encoder)
    expected, expected_grads = outputs_and_gradients(lambda o: gathered_mean(encoder, o))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    for grad, expected_grad in zip(grads, expected_grads, strict=True):
        np.testing.assert_allclose(
            tf.convert_to_tensor(grad).numpy(),
            tf.convert_to_tensor(expected_grad).numpy(),
            rtol=1e-4,
            atol=1e-5,
        )


def test_padding_rows_never_enter_the_mean(encoder_and_obs):
    encoder, obs = encoder_and_obs
    before = encoder(obs).numpy()
    pad_row = encoder.item_embedding.embeddings[SHOP.num_items]  # the padding item's row
    encoder.item_embedding.embeddings[SHOP.num_items].assign(pad_row + 100.0)
    try:
        after = encoder(obs).numpy()
    finally:
        encoder.item_embedding.embeddings[SHOP.num_items].assign(pad_row)
    np.testing.assert_array_equal(after[:, :6], before[:, :6])  # the mean: unchanged
