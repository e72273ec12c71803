"""Large catalogues: a two-tower Q-network, exact top-k retrieval, sampled-candidate targets.

With 10^5 items, a dense head (one output row per item) has millions of free parameters
that each learn only from the rare transitions where that item was shown. A **two-tower**
Q-network shares what it learns across items through their features:

    Q(s, a) = f(s) . g(a) + b(a)

* the **state tower** ``f`` reads the shopper's history (the pooled encoder of
  ``dqrec.networks``: gated item embeddings, their masked mean, the last pair, the session
  features) and ends in a ``tower_dim`` vector;
* the **item tower** ``g`` is a small MLP over ``[id embedding, category embedding, price]``,
  so a new or rarely shown item still gets a sensible vector from its category and price;
* ``b(a)`` is a per-item bias (popularity), zero at the start.

**Retrieval by inner product is exact.** Append a 1 to the query and the bias to each item
vector: ``[f(s), 1] . [g(a), b(a)] = f(s) . g(a) + b(a) = Q(s, a)``. So the top-k items by
inner product over the *augmented* vectors are exactly the top-k by Q; ``chunked_top_k``
computes them over the whole catalogue in chunks (a matmul and ``tf.math.top_k`` per chunk,
then a merge), never holding more than ``batch x chunk_size`` scores. Retrieval becomes
approximate only when an approximate nearest-neighbour index (ScaNN, FAISS, HNSW) replaces the
exact scan, when the item table is stale (cached before the last gradient step), or when a
dueling head subtracts a mean over all items (a per-state constant: the ranking is unchanged,
but the values are not the network's ``Q``). Scoring the retrieved candidates
(``score_candidates``) then recomputes ``f(s) . g(a) + b(a)`` exactly for just those items.

**Training with sampled candidates.** The TD target needs ``max_a' Q(s', a')``; over all
items that is a ``(batch, num_items)`` matrix per update. ``sampled_td_targets`` takes the max
over a random subset of items instead (see its docstring for the bias this brings), shared by
the batch (``sample_candidates``: the batch's logged actions plus random items).
"""

import keras
import numpy as np
import tensorflow as tf

from dqrec.envs.codec import NUM_SESSION_FEATURES
from dqrec.losses import huber
from dqrec.networks import PooledHistoryEncoder
from dqrec.policy import StepStats
from dqrec.targets import td_targets


@keras.saving.register_keras_serializable(package="dqrec")
class TwoTowerQNetwork(keras.Model):
    """``Q(s, a) = f(s) . g(a) + b(a)``: ``(batch, obs_dim)`` observations to ``(batch, num_items)``.

    The item features (category, price) are non-trainable weights: they are saved with the
    model's weights, so ``keras.models.load_model(path, safe_mode=True)`` restores them and
    the config stays small even for 10^5 items. Set them with ``set_item_features``.
    """

    def __init__(
        self,
        history_len,
        num_items,
        num_categories,
        num_session_features=NUM_SESSION_FEATURES,
        embedding_dim=32,
        tower_dim=32,
        hidden_units=(128,),
        metadata=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if history_len < 1 or num_items < 1 or num_categories < 1:
            raise ValueError("history_len, num_items and num_categories must be >= 1")
        self.history_len = int(history_len)
        self.num_items = int(num_items)
        self.num_categories = int(num_categories)
        self.num_session_features = int(num_session_features)
        self.obs_dim = 2 * self.history_len + self.num_session_features
        self.embedding_dim = int(embedding_dim)
        self.tower_dim = int(tower_dim)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.metadata = dict(metadata or {})
        # state tower f(s): the pooled encoder of dqrec.networks, then ReLU layers
        self.pooled_history = PooledHistoryEncoder(history_len, num_items, embedding_dim)
        self.state_layers = [keras.layers.Dense(u, activation="relu") for u in self.hidden_units]
        self.state_out = keras.layers.Dense(tower_dim)
        # item tower g(a) over [id embedding, category embedding, price]
        self.id_embedding = keras.layers.Embedding(num_items, embedding_dim)
        self.category_embedding = keras.layers.Embedding(num_categories, embedding_dim)
        self.item_hidden = keras.layers.Dense(2 * tower_dim, activation="relu")
        self.item_out = keras.layers.Dense(tower_dim)
        self.bias = keras.layers.Embedding(num_items, 1, embeddings_initializer="zeros")
        # item features, saved with the weights (float32: Keras saves float weights everywhere)
        self.item_category = self.add_weight(
            shape=(num_items,), initializer="zeros", trainable=False, name="item_category"
        )
        self.item_price = self.add_weight(
            shape=(num_items,), initializer="zeros", trainable=False, name="item_price"
        )

    def set_item_features(self, category, price) -> None:
        """Store each item's category (ints in ``[0, num_categories)``) and price (``(num_items,)``)."""
        category, price = np.asarray(category), np.asarray(price, np.float32)
        if category.shape != (self.num_items,) or price.shape != (self.num_items,):
            raise ValueError(f"category and price must have shape ({self.num_items},)")
        if category.min() < 0 or category.max() >= self.num_categories:
            raise ValueError(f"categories must lie in [0, {self.num_categories - 1}]")
        self.item_category.assign(category.astype(np.float32))
        self.item_price.assign(price)

    # ---- the two towers ---------------------------------------------------------------
    def state_vectors(self, obs):
        """``f(s)``: ``(batch, tower_dim)`` (the pooled encoder of ``dqrec.networks``)."""
        z = self.pooled_history(tf.cast(obs, tf.float32))  # (batch, 2E + 4)
        for layer in self.state_layers:
            z = layer(z)
        return self.state_out(z)  # (batch, tower_dim)

    # the encoder's parts, as attributes of the network
    @property
    def history_embedding(self):
        return self.pooled_history.item_embedding

    @property
    def feedback_gate(self):
        return self.pooled_history.feedback_gate

    def item_vectors(self, item_ids=None):
        """``g(a)`` for the given ids (any shape ``S``) -> ``S + (tower_dim,)``; all items if None."""
        if item_ids is None:
            item_ids = tf.range(self.num_items)
        item_ids = tf.cast(item_ids, tf.int32)
        category = tf.cast(tf.gather(self.item_category, item_ids), tf.int32)
        price = tf.gather(self.item_price, item_ids)[..., None]  # (..., 1)
        x = tf.concat(
            [self.id_embedding(item_ids), self.category_embedding(category), price], axis=-1
        )
        return self.item_out(self.item_hidden(x))

    def item_biases(self, item_ids=None):
        """``b(a)`` for the given ids -> same shape as ``item_ids``; all items if None."""
        if item_ids is None:
            item_ids = tf.range(self.num_items)
        return self.bias(tf.cast(item_ids, tf.int32))[..., 0]

    # ---- augmented vectors: Q as one inner product ----------------------------------------
    def augmented_queries(self, obs):
        """``[f(s), 1]``: ``(batch, tower_dim + 1)``."""
        f = self.state_vectors(obs)
        return tf.concat([f, tf.ones_like(f[:, :1])], axis=-1)

    def item_table(self):
        """``[g(a), b(a)]`` for every item: ``(num_items, tower_dim + 1)``, so ``Q = query . row``."""
        return tf.concat([self.item_vectors(), self.item_biases()[:, None]], axis=-1)

    def call(self, obs):
        """All Q-values ``(batch, num_items)`` (small catalogues; use ``chunked_top_k`` beyond)."""
        return tf.matmul(self.augmented_queries(obs), self.item_table(), transpose_b=True)

    def build(self, input_shape=None):
        if not self.built:  # create every weight by running one dummy batch
            self.call(tf.zeros((1, self.obs_dim), tf.float32))
            self.built = True

    def get_config(self):
        return {
            **super().get_config(),
            "history_len": self.history_len,
            "num_items": self.num_items,
            "num_categories": self.num_categories,
            "num_session_features": self.num_session_features,
            "embedding_dim": self.embedding_dim,
            "tower_dim": self.tower_dim,
            "hidden_units": list(self.hidden_units),
            "metadata": self.metadata,
        }


def build_two_tower(
    shop_config, catalogue, embedding_dim=32, tower_dim=32, hidden_units=(128,), metadata=None
) -> TwoTowerQNetwork:
    """A two-tower Q-network for a shop, its item features taken from ``catalogue``."""
    model = TwoTowerQNetwork(
        history_len=shop_config.history_len,
        num_items=shop_config.num_items,
        num_categories=shop_config.num_categories,
        embedding_dim=embedding_dim,
        tower_dim=tower_dim,
        hidden_units=hidden_units,
        metadata=metadata,
    )
    model.build((None, shop_config.obs_dim))
    # price divided by its maximum so the feature is in [0, 1] like the others
    model.set_item_features(catalogue.category, catalogue.price / shop_config.price_max)
    return model


def chunked_top_k(queries, keys, k, chunk_size=32768):
    """Exact top-``k`` of ``queries @ keys.T`` without the full ``(batch, num_keys)`` matrix.

    Args:
        queries: ``(batch, dim)`` float query vectors (augmented: ``[f(s), 1]``).
        keys: ``(num_keys, dim)`` float key vectors (augmented: ``[g(a), b(a)]``).
        k: how many to return, ``1 <= k <= num_keys`` (a Python int).
        chunk_size: keys scored at once; memory is ``batch x (chunk_size + k)`` floats.

    Returns:
        ``(values, indices)``, both ``(batch, k)``, best first; equal scores keep the lower
        index first, as ``np.argsort(-scores, kind="stable")`` does.
    """
    num_keys = keys.shape[0]
    if not 1 <= k <= num_keys:
        raise ValueError(f"k must be in [1, {num_keys}], got {k}")
    best_values = best_indices = None
    for start in range(0, num_keys, chunk_size):  # a Python loop: unrolled once when traced
        scores = tf.matmul(queries, keys[start : start + chunk_size], transpose_b=True)
        values, indices = tf.math.top_k(scores, k=min(k, scores.shape[-1]))  # (batch, <=k)
        indices += start
        if best_values is not None:
            # earlier chunks come first, so top_k's "lower position first" keeps ties stable
            values = tf.concat([best_values, values], axis=-1)  # (batch, <=2k)
            indices = tf.concat([best_indices, indices], axis=-1)
            values, position = tf.math.top_k(values, k=min(k, values.shape[-1]))
            indices = tf.gather(indices, position, batch_dims=1)
        best_values, best_indices = values, indices
    return best_values, best_indices


def score_candidates(model, obs, candidates):
    """Exact ``Q(s, a) = f(s) . g(a) + b(a)`` for candidate ids ``(batch, K)`` -> ``(batch, K)``."""
    f = model.state_vectors(obs)  # (batch, tower_dim)
    g = model.item_vectors(candidates)  # (batch, K, tower_dim)
    return tf.einsum("bd,bkd->bk", f, g) + model.item_biases(candidates)


def retrieve_and_score(model, obs, k, num_candidates=None, chunk_size=32768, item_table=None):
    """Recommend: retrieve ``num_candidates`` items by inner product, score them exactly, keep k.

    With the augmented vectors the retrieval is exact, so this equals the top-k of the full
    ``Q(s, .)``; in production the retrieval would be an approximate index over a cached
    ``item_table`` (pass it to skip recomputing the item tower) and the scoring could use a
    bigger model. Returns ``(q_values, items)``, both ``(batch, k)``, best first.
    """
    num_candidates = max(k, num_candidates or k)
    table = model.item_table() if item_table is None else item_table
    _, candidates = chunked_top_k(model.augmented_queries(obs), table, num_candidates, chunk_size)
    q_values = score_candidates(model, obs, candidates)  # (batch, num_candidates)
    q_values, position = tf.math.top_k(q_values, k=k)
    return q_values, tf.gather(candidates, position, batch_dims=1)


def sample_candidates(seed, actions, num_items, num_samples):
    """Candidate ids shared by the whole batch, ``(batch + num_samples,)``: the batch's logged
    actions, then ``num_samples`` uniform random items.

    Sharing one set across the batch means the item tower runs on ``batch + num_samples``
    items per step instead of ``batch x K``; each row's own logged action is always in it.
    ``seed`` is a shape-``(2,)`` int tensor (stateless random ops: same seed, same candidates).
    Sampling is with replacement: repeats do not change a max.
    """
    sampled = tf.random.stateless_uniform((num_samples,), seed, 0, num_items, dtype=tf.int32)
    return tf.concat([tf.cast(actions, tf.int32), sampled], axis=0)


def candidate_rows(model, candidates):
    """``[g(a), b(a)]`` of candidate ids ``(K,)`` -> ``(K, tower_dim + 1)``."""
    return tf.concat([model.item_vectors(candidates), model.item_biases(candidates)[:, None]], -1)


def sampled_td_targets(
    rewards,
    terminated,
    next_queries,
    next_rows,
    gamma,
    next_queries_online=None,
    next_rows_online=None,
):
    """TD targets with ``max_a' Q(s', a')`` taken over candidate items only.

    ``y = r + gamma (1 - terminated) max_{a' in C} Q_target(s', a')`` for a candidate set
    ``C`` of ``K`` items per row, which costs ``batch x K`` inner products instead of
    ``batch x num_items``. The Q-values are the augmented inner products
    ``[f(s'), 1] . [g(a'), b(a')]``; the max / argmax is ``dqrec.targets.td_targets``.

    **Bias.** A max over a subset can only be lower: ``max_C Q <= max_all Q``, so with plain
    DQN selection the target *underestimates* the full one, by more when ``C`` is small or the
    best items are rare. (DQN's usual maximisation bias pushes the other way, so the two
    partly cancel, but nothing guarantees they balance.) With Double-DQN selection
    (``next_queries_online``) the online network picks ``a*`` among ``C`` and the target
    network values it: the subset still limits which ``a*`` can be chosen, but the target
    network need not value the full argmax higher, so the sign of the difference depends on
    how closely the two networks agree: biased low on average when the target network is a
    recent copy of the online one (though not for every row), of either sign between unrelated
    networks (notebook 08, exercise ``ex-08-double-subset``, measures both).
    The bias shrinks as ``K`` grows and vanishes when ``C`` holds the argmax; cheap ways to
    get closer are to add the logged and in-batch actions (``sample_candidates`` adds the
    logged one), or to retrieve the online network's exact top-M with ``chunked_top_k`` and
    add random items.

    Args:
        rewards, terminated: ``(batch,)``.
        next_queries: ``(batch, dim)`` the target network's ``[f(s'), 1]``.
        next_rows: ``(K, dim)`` the target network's ``[g(a'), b(a')]`` of the candidates
            shared by the batch (``tf.gather(item_table, candidates)`` or ``candidate_rows``).
        gamma: discount factor.
        next_queries_online, next_rows_online: the online network's, for Double DQN.

    Returns:
        ``(batch,)`` targets, no gradient.
    """
    next_q_target = tf.matmul(next_queries, next_rows, transpose_b=True)  # (batch, K)
    next_q_online = None
    if next_queries_online is not None:
        next_q_online = tf.matmul(next_queries_online, next_rows_online, transpose_b=True)
    return td_targets(rewards, terminated, next_q_target, gamma, next_q_online)


def make_sampled_train_step(online, target, optimizer, gamma, huber_delta=1.0, double_dqn=True):
    """A compiled gradient step on ``(obs, actions, rewards, next_obs, terminated, candidates)``.

    The target is ``sampled_td_targets`` over ``candidates`` ``(K,)`` (``sample_candidates``), and the regressed
    ``Q(s, a)`` needs only the taken item's row, so the cost of a step does not grow with the
    catalogue. Returns ``train_step(...) -> StepStats``: the mean Huber loss and the mean
    ``Q(s, a)`` of the taken items, as every learner's step reports (``dqrec.policy``).
    """

    @tf.function
    def step(obs, actions, rewards, next_obs, terminated, candidates):
        next_queries = target.augmented_queries(next_obs)  # (batch, dim)
        next_rows = candidate_rows(target, candidates)  # (K, dim)
        online_queries = online_rows = None
        if double_dqn:
            online_queries = online.augmented_queries(next_obs)
            online_rows = candidate_rows(online, candidates)
        targets = sampled_td_targets(
            rewards, terminated, next_queries, next_rows, gamma, online_queries, online_rows
        )
        with tf.GradientTape() as tape:
            q_taken = score_candidates(online, obs, actions[:, None])[:, 0]  # (batch,)
            loss = tf.reduce_mean(huber(targets - q_taken, huber_delta))
        grads = tape.gradient(loss, online.trainable_variables)
        optimizer.apply_gradients(zip(grads, online.trainable_variables, strict=True))
        return loss, tf.reduce_mean(q_taken)

    def train_step(obs, actions, rewards, next_obs, terminated, candidates) -> StepStats:
        loss, mean_q = step(obs, actions, rewards, next_obs, terminated, candidates)
        return {"loss": float(loss), "mean_q": float(mean_q)}

    return train_step
