"""Q-networks: from an observation to one Q-value per action (Keras 3).

Three encoders turn an observation into a state vector ``h``:

* ``"mlp"``: the raw observation vector (any Gymnasium env with an array observation).
* ``"pooled"``: the shop's history of ``history_len`` (item, feedback) pairs. Each pair has
  its own learned embedding ``e_t = E[i_t, f_t]`` (a clicked item and a skipped item mean
  different things about the shopper); the encoder concatenates the
  masked mean ``(1/|T|) sum_t e_t`` (what the shopper reacted to) with the most recent
  ``e_H`` (where the session is now) and the session features.
* ``"gru"``: the same pair embeddings read in order by a GRU (Hidasi et al. 2016), whose
  last state replaces the mean.

Then ``hidden_units`` ReLU layers and a head. The plain head is ``Q(s, .) = W h + b``; the
dueling head (Wang et al. 2016) is ``Q(s, a) = V(s) + A(s, a) - mean_a' A(s, a')``.

``QNetwork`` is registered with Keras, so ``keras.models.load_model(path, safe_mode=True)``
restores it without running any pickled Python code.
"""

import keras
import tensorflow as tf

ENCODERS = ("mlp", "pooled", "gru")
NUM_FEEDBACK_CODES = 4  # padding, skip, click, purchase (see dqrec.env)


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
        history_len=0,
        num_items=0,
        metadata=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}, got {encoder!r}")
        if encoder != "mlp" and (history_len < 1 or num_items < 1):
            raise ValueError(f"encoder {encoder!r} needs history_len >= 1 and num_items >= 1")
        self.obs_dim = int(obs_dim)
        self.num_actions = int(num_actions)
        self.encoder = encoder
        self.embedding_dim = int(embedding_dim)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.dueling = bool(dueling)
        self.history_len = int(history_len)
        self.num_items = int(num_items)
        self.metadata = dict(metadata or {})
        if encoder != "mlp":
            # One embedding per (item, feedback) pair: row item * 4 + feedback. Padding pairs
            # (id num_items, feedback 0) have rows too, but are always masked out.
            self.pair_embedding = keras.layers.Embedding(
                (num_items + 1) * NUM_FEEDBACK_CODES, embedding_dim
            )
            if encoder == "gru":
                self.gru = keras.layers.GRU(embedding_dim)
        self.hidden_layers = [keras.layers.Dense(u, activation="relu") for u in self.hidden_units]
        if self.dueling:
            self.value_head = keras.layers.Dense(1)
            self.advantage_head = keras.layers.Dense(num_actions)
        else:
            self.q_head = keras.layers.Dense(num_actions)

    def encode(self, obs):
        """The state vector ``h`` for a batch of observations: ``(batch, features)``."""
        if self.encoder == "mlp":
            return obs
        h = self.history_len
        item_ids = tf.cast(obs[:, :h], tf.int32)  # (batch, H), num_items = padding
        feedback = tf.cast(obs[:, h : 2 * h], tf.int32)  # (batch, H), 0 = padding
        features = obs[:, 2 * h :]  # (batch, num_session_features)
        tokens = self.pair_embedding(item_ids * NUM_FEEDBACK_CODES + feedback)  # (batch, H, E)
        mask = feedback > 0  # (batch, H) True where a real item was shown
        last = tokens[:, -1, :]  # (batch, E) the most recent item is always last
        if self.encoder == "gru":
            summary = self.gru(tokens, mask=mask)  # (batch, E)
            # a GRU over an all-padding history returns zeros, which is what we want
        else:
            weights = tf.cast(mask, tokens.dtype)[:, :, None]  # (batch, H, 1)
            count = tf.maximum(tf.reduce_sum(weights, axis=1), 1.0)  # (batch, 1)
            summary = tf.reduce_sum(tokens * weights, axis=1) / count  # (batch, E)
        return tf.concat([summary, last, features], axis=-1)

    def call(self, obs):
        x = self.encode(tf.cast(obs, tf.float32))
        for layer in self.hidden_layers:
            x = layer(x)
        if not self.dueling:
            return self.q_head(x)  # (batch, num_actions)
        value = self.value_head(x)  # (batch, 1)
        advantage = self.advantage_head(x)  # (batch, num_actions)
        return value + advantage - tf.reduce_mean(advantage, axis=-1, keepdims=True)

    def build(self, input_shape=None):
        # Create every weight by running one dummy batch (needed when Keras reloads the model).
        if not self.built:
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
            "history_len": self.history_len,
            "num_items": self.num_items,
            "metadata": self.metadata,
        }


def build_q_network(
    obs_dim, num_actions, network_config, history_len=0, num_items=0, metadata=None
):
    """Build (and create the weights of) a ``QNetwork`` from a ``NetworkConfig``."""
    model = QNetwork(
        obs_dim=obs_dim,
        num_actions=num_actions,
        encoder=network_config.encoder,
        embedding_dim=network_config.embedding_dim,
        hidden_units=network_config.hidden_units,
        dueling=network_config.dueling,
        history_len=history_len,
        num_items=num_items,
        metadata=metadata,
    )
    model.build((None, obs_dim))
    return model
