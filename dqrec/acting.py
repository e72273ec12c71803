"""The online Q-network's forward pass in NumPy, for acting inside the training loop.

The training loop asks for ``Q(s, .)`` of ``num_envs`` shoppers at every iteration (32 rows
by default). As a TensorFlow call that costs about half a millisecond, almost all of it the
call itself; the same arithmetic in NumPy takes under a tenth of that, which made the default
run's acting a quarter of its time (``benchmarks/bench_speed.py``). ``NumpyQ`` is that
arithmetic: the same formulas as ``dqrec.networks.QNetwork.call``, on NumPy copies of the
weights, which the loop refreshes from ``DQNAgent.train_steps`` after every update (the
compiled update returns the new online weights with its statistics, so no extra call reads
them).

It agrees with the network to float32 rounding (``tests/test_acting.py`` asserts 1e-5), not to
the last bit: a different summation order can, very rarely, break a near-tie between two
items the other way. Evaluation and ``DQNAgent.act`` stay on the TensorFlow network.

Encoders ``"mlp"`` and ``"pooled"`` (either head, with or without dueling) have a twin; for a
``"gru"`` encoder ``NumpyQ.mirror`` returns ``None`` and the loop acts with the network itself.
"""

import numpy as np


class NumpyQ:
    """``Q(s, .)`` of a ``QNetwork`` with NumPy weights: ``q(obs) -> (batch, num_actions)``."""

    def __init__(self, network):
        if network.encoder not in ("mlp", "pooled"):
            raise ValueError(f"NumpyQ has no {network.encoder!r} encoder; use mirror()")
        self.encoder, self.head, self.dueling = network.encoder, network.head, network.dueling
        self.history_len, self.num_items = network.history_len, network.num_items
        slot = {id(v): i for i, v in enumerate(network.weights)}  # get_weights() order

        def where(variable):
            return slot[id(variable)]

        self._hidden = [(where(d.kernel), where(d.bias)) for d in network.hidden_layers]
        if self.encoder == "pooled":
            self._items = where(network.item_embedding.embeddings)
            self._gates = where(network.feedback_gate.embeddings)
        if self.head == "item":
            self._query = (where(network.query.kernel), where(network.query.bias))
            self._item_bias = where(network.item_bias.embeddings)
        else:
            self._q_head = (where(network.q_head.kernel), where(network.q_head.bias))
        if self.dueling:
            self._value = (where(network.value_head.kernel), where(network.value_head.bias))
        self._weights = None
        self.set_weights(network.get_weights())

    @classmethod
    def mirror(cls, network):
        """A twin of ``network``, or ``None`` when its encoder has none (``"gru"``)."""
        return cls(network) if network.encoder in ("mlp", "pooled") else None

    def set_weights(self, weights) -> None:
        """Take the network's weights, in ``network.get_weights()`` order (float32 arrays)."""
        w = [np.asarray(x, np.float32) for x in weights]
        self._weights = w
        if self.encoder == "pooled":
            items = w[self._items]  # (num_items + 1, E), the last row is the padding item
            self._item_rows = np.ascontiguousarray(items[: self.num_items].T)  # (E, num_items)
        if self.head == "item":
            self._bias_row = w[self._item_bias][:, 0]  # (num_items,)

    def _encode(self, obs):
        if self.encoder == "mlp":
            return obs
        w, h = self._weights, self.history_len
        item_ids = obs[:, :h].astype(np.intp)  # (batch, H), num_items = padding
        feedback = obs[:, h : 2 * h].astype(np.intp)  # (batch, H), 0 = padding
        mask = (feedback > 0).astype(np.float32)  # (batch, H)
        count = np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1.0))  # (batch, 1)
        pairs = w[self._items][item_ids] * w[self._gates][feedback]  # (batch, H, E)
        summary = np.einsum("bhe,bh->be", pairs, mask) / count  # (batch, E) masked mean
        return np.concatenate([summary, pairs[:, -1, :], obs[:, 2 * h :]], axis=1)

    def __call__(self, obs) -> np.ndarray:
        """``(batch, num_actions)`` float32 Q-values for ``(batch, obs_dim)`` observations."""
        w = self._weights
        z = self._encode(np.asarray(obs, np.float32))
        for kernel, bias in self._hidden:
            z = np.maximum(z @ w[kernel] + w[bias], np.float32(0.0))  # ReLU
        if self.head == "item":
            kernel, bias = self._query
            advantage = (z @ w[kernel] + w[bias]) @ self._item_rows + self._bias_row
        else:
            kernel, bias = self._q_head
            advantage = z @ w[kernel] + w[bias]
        if not self.dueling:
            return advantage
        kernel, bias = self._value
        value = z @ w[kernel] + w[bias]  # (batch, 1)
        return value + advantage - advantage.mean(axis=-1, keepdims=True)
