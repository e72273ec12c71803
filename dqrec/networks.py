"""Q-networks: from an observation to one Q-value per action (Keras 3).

Three encoders turn an observation into a state vector ``h``:

* ``"mlp"``: the raw observation vector (any Gymnasium env with an array observation).
* ``"pooled"``: the shop's history of ``history_len`` (item, feedback) pairs. Item ``i`` has
  an embedding ``E[i]``; feedback ``f`` (skip, click, purchase) a gate ``F[f]``; the pair is
  ``e_t = E[i_t] * F[f_t]`` (elementwise), so a skip can push the state *away* from an item
  and a purchase pull it closer. The encoder concatenates the masked mean
  ``(1/|T|) sum_t e_t`` (what the shopper reacted to), the most recent pair ``e_H`` (where
  the session is now) and the session features.
* ``"gru"``: the same pairs read in order by a GRU (Hidasi et al. 2016), whose last state
  replaces the mean.

Then ``hidden_units`` ReLU layers give ``z(s)`` and a head gives the Q-values:

* ``"dense"`` head: ``Q(s, .) = W z(s) + b``, one free output row per action.
* ``"item"`` head (shop encoders only): ``Q(s, a) = g(z(s)) . E[a] + b_a``, scoring every
  item's embedding, the *same* ``E`` the history uses. Clicking an item then raises the
  value of similar items: the bilinear form of the simulator's affinity ``<u, v_a>``, and
  the two-tower shape that scales to large catalogues.
* ``dueling`` (either head, Wang et al. 2016): ``Q(s, a) = V(s) + A(s, a) - mean_a' A(s, a')``.

Both shop encoders are one layer, ``PooledHistoryEncoder``, which the two-tower network of
``dqrec.two_tower`` shares. ``QNetwork`` is registered with Keras, so ``keras.models.load_model(path, safe_mode=True)``
restores it without running any pickled Python code.
"""

import keras
import tensorflow as tf

from dqrec.envs.codec import NUM_FEEDBACK_CODES

ENCODERS = ("mlp", "pooled", "gru")
HEADS = ("dense", "item")


class PooledHistoryEncoder(keras.layers.Layer):
    """The shop's history of ``(item, feedback)`` pairs -> a state vector ``(batch, 2E + F)``.

    Pair ``t`` is ``e_t = E[i_t] * F[f_t]``; the output concatenates a summary of the pairs
    (their masked mean, or the last state of a GRU reading them in order when ``gru``), the
    most recent pair ``e_H`` and the ``F`` session features. ``E`` (``item_embedding``) has a
    row for the padding id ``num_items``; ``F`` (``feedback_gate``) starts as ones.
    """

    # The mean is counted (a dense product over every possible pair) for catalogues of up to
    # COUNTING_MAX_CODES / NUM_FEEDBACK_CODES - 1 items (255), and gathered for larger ones.
    COUNTING_MAX_CODES = 1024

    def counts_pairs(self) -> bool:
        """Whether ``call`` computes the pooled mean by counting pairs (a small catalogue,
        no GRU) rather than by gathering them."""
        num_codes = NUM_FEEDBACK_CODES * (self.num_items + 1)
        return self.gru is None and num_codes <= self.COUNTING_MAX_CODES

    def __init__(self, history_len, num_items, embedding_dim, gru=False, **kwargs):
        super().__init__(**kwargs)
        self.history_len, self.num_items = int(history_len), int(num_items)
        self.embedding_dim, self.use_gru = int(embedding_dim), bool(gru)
        # id num_items is the padding item; its pairs are always masked out
        self.item_embedding = keras.layers.Embedding(num_items + 1, embedding_dim)
        self.feedback_gate = keras.layers.Embedding(
            NUM_FEEDBACK_CODES, embedding_dim, embeddings_initializer="ones"
        )
        self.gru = keras.layers.GRU(embedding_dim) if gru else None

    def build(self, input_shape=None):
        self.item_embedding.build((None, self.history_len))
        self.feedback_gate.build((None, self.history_len))
        if self.gru is not None:
            self.gru.build((None, self.history_len, self.embedding_dim))
        self.built = True

    def pair_table(self):
        """Every possible pair at once, ``(NUM_FEEDBACK_CODES * (num_items + 1), E)``: row
        ``f * (num_items + 1) + i`` is ``E[i] * F[f]``, the pair of item ``i`` and feedback ``f``."""
        items, gates = self.item_embedding.embeddings, self.feedback_gate.embeddings
        return tf.reshape(gates[:, None, :] * items[None, :, :], (-1, self.embedding_dim))

    def call(self, obs):
        h = self.history_len
        item_ids = tf.cast(obs[:, :h], tf.int32)  # (batch, H), num_items = padding
        feedback = tf.cast(obs[:, h : 2 * h], tf.int32)  # (batch, H), 0 = padding
        features = obs[:, 2 * h :]  # (batch, num_session_features)
        mask = feedback > 0  # (batch, H) True where a real item was shown
        weights = tf.cast(mask, tf.float32)  # (batch, H)
        count = tf.maximum(tf.reduce_sum(weights, axis=1, keepdims=True), 1.0)  # (batch, 1)
        if self.counts_pairs():
            return tf.concat(
                [*self._counted_mean_and_last(item_ids, feedback, weights, count), features],
                axis=-1,
            )
        pairs = self.item_embedding(item_ids) * self.feedback_gate(feedback)  # (batch, H, E)
        if self.gru is not None:
            summary = self.gru(pairs, mask=mask)  # (batch, E); all-padding history -> zeros
        else:
            summary = tf.reduce_sum(pairs * weights[:, :, None], axis=1) / count  # (batch, E)
        last = pairs[:, -1, :]  # (batch, E) the most recent item is always last
        return tf.concat([summary, last, features], axis=-1)

    def _counted_mean_and_last(self, item_ids, feedback, weights, count):
        # The masked mean of the pairs, as a matrix product: count how often each possible
        # pair occurs in each row, then average the table rows with those counts. It is the
        # same number as gathering the H pairs and averaging them, but for a small catalogue
        # one dense product is much faster on a CPU than XLA's fused gathers, and its
        # gradient needs no scatter (benchmarks/bench_speed.py). Its cost grows with the
        # catalogue, so large catalogues gather (COUNTING_MAX_CODES).
        table = self.pair_table()  # (num_codes, E)
        num_codes = table.shape[0]
        codes = feedback * (self.num_items + 1) + item_ids  # (batch, H) row of each pair
        batch = tf.shape(codes)[0]
        slots = codes + num_codes * tf.range(batch)[:, None]  # (batch, H) in a flat count row
        counts = tf.math.unsorted_segment_sum(weights, slots, batch * num_codes)
        counts = tf.reshape(counts, (batch, num_codes))  # (batch, num_codes) pair counts
        summary = tf.matmul(counts, table) / count  # (batch, E)
        last = tf.gather(table, codes[:, -1])  # (batch, E) the most recent item is always last
        return summary, last

    def get_config(self):
        return {
            **super().get_config(),
            "history_len": self.history_len,
            "num_items": self.num_items,
            "embedding_dim": self.embedding_dim,
            "gru": self.use_gru,
        }


@keras.saving.register_keras_serializable(package="dqrec")
class QNetwork(keras.Model):
    """Maps ``(batch, obs_dim)`` observations to ``(batch, num_actions)`` Q-values."""

    def __init__(
        self,
        obs_dim,
        num_actions,
        encoder="pooled",
        embedding_dim=32,
        hidden_units=(128,),
        dueling=False,
        head="item",
        history_len=0,
        num_items=0,
        metadata=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}, got {encoder!r}")
        if head not in HEADS or (head == "item" and encoder == "mlp"):
            raise ValueError(f"head must be 'dense', or 'item' with a shop encoder, got {head!r}")
        if encoder != "mlp" and (history_len < 1 or num_items < 1):
            raise ValueError(f"encoder {encoder!r} needs history_len >= 1 and num_items >= 1")
        self.obs_dim = int(obs_dim)
        self.num_actions = int(num_actions)
        self.encoder = encoder
        self.embedding_dim = int(embedding_dim)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.dueling = bool(dueling)
        self.head = head
        self.history_len = int(history_len)
        self.num_items = int(num_items)
        self.metadata = dict(metadata or {})
        if encoder != "mlp":
            # named to sort after its parts: saved files keep the paths item_embedding/...
            self.pooled_history = PooledHistoryEncoder(
                history_len, num_items, embedding_dim, gru=encoder == "gru"
            )
        self.hidden_layers = [keras.layers.Dense(u, activation="relu") for u in self.hidden_units]
        if head == "item":
            self.query = keras.layers.Dense(embedding_dim)  # g(z): the state's item query
            self.item_bias = keras.layers.Embedding(num_items, 1, embeddings_initializer="zeros")
        else:
            self.q_head = keras.layers.Dense(num_actions)
        if self.dueling:
            self.value_head = keras.layers.Dense(1)

    def encode(self, obs):
        """The state vector for a batch of observations: ``(batch, features)``.

        For the shop encoders it is ``[summary, e_H, session features]`` of the history of
        pairs ``e_t = E[i_t] * F[f_t]`` (see ``PooledHistoryEncoder.call``).
        """
        if self.encoder == "mlp":
            return obs
        return self.pooled_history(obs)  # (batch, 2 * embedding_dim + num_session_features)

    # the encoder's parts, as attributes of the network (the notebooks read their weights)
    @property
    def item_embedding(self):
        return self.pooled_history.item_embedding

    @property
    def feedback_gate(self):
        return self.pooled_history.feedback_gate

    @property
    def gru(self):
        return self.pooled_history.gru

    def call(self, obs):
        z = self.encode(tf.cast(obs, tf.float32))
        for layer in self.hidden_layers:
            z = layer(z)
        if self.head == "item":
            items = self.item_embedding.embeddings[: self.num_items]  # (num_items, E)
            bias = self.item_bias.embeddings[:, 0]  # (num_items,)
            advantage = tf.matmul(self.query(z), items, transpose_b=True) + bias  # (batch, items)
        else:
            advantage = self.q_head(z)  # (batch, num_actions)
        if not self.dueling:
            return advantage
        value = self.value_head(z)  # (batch, 1)
        return value + advantage - tf.reduce_mean(advantage, axis=-1, keepdims=True)

    def build(self, input_shape=None):
        # Create every weight by running one dummy batch (needed when Keras reloads the model).
        if not self.built:
            if self.head == "item":
                self.item_bias.build((None,))  # read as a weight in call, never called
            self.call(tf.zeros((1, self.obs_dim), tf.float32))
            self.built = True

    def get_config(self):
        return {
            **super().get_config(),
            "obs_dim": self.obs_dim,
            "num_actions": self.num_actions,
            "encoder": self.encoder,
            "embedding_dim": self.embedding_dim,
            "hidden_units": list(self.hidden_units),
            "dueling": self.dueling,
            "head": self.head,
            "history_len": self.history_len,
            "num_items": self.num_items,
            "metadata": self.metadata,
        }


def build_q_network(
    obs_dim, num_actions, network_config, history_len=0, num_items=0, metadata=None
):
    """Build (and create the weights of) a ``QNetwork`` from a ``NetworkConfig``."""
    head = network_config.head if network_config.encoder != "mlp" else "dense"
    model = QNetwork(
        obs_dim=obs_dim,
        num_actions=num_actions,
        encoder=network_config.encoder,
        embedding_dim=network_config.embedding_dim,
        hidden_units=network_config.hidden_units,
        dueling=network_config.dueling,
        head=head,
        history_len=history_len,
        num_items=num_items,
        metadata=metadata,
    )
    model.build((None, obs_dim))
    return model
