"""SlateQ (Ie et al., IJCAI 2019): Q-learning over slates through item-level values.

**Why plain DQN breaks.** A DQN over slates has one output per slate: C(num_items, k) of
them (2.1 million for 50 items and k = 5), each learning only from the rare steps where that
exact slate was shown, and its max is a search over all of them.

**The decomposition.** If the shopper chooses at most one item of the slate (or none) and the
reward and the next state depend only on what was chosen, then

    Q(s, A) = sum_{i in A ∪ {⊥}} P(i | s, A) Qbar(s, i)

where Qbar(s, i) is the value of the shopper *choosing* item i (⊥: choosing nothing). So the
agent learns one value per item, from the item actually chosen:

    Qbar(s, c) <- r + gamma * (1 - terminated) * Q(s', A')
    Q(s', A')   = sum_{j in A' ∪ {⊥}} P(j | s', A') Qbar_target(s', j)

with A' the slate shown next (**SARSA**, on-policy, as the paper's first variant) or the best
slate under Qbar_target (**Q-learning**, found by ``dqrec.slates.optimise``: exact by default).
The no-click value Qbar(s, ⊥) is learned like any item's (the shopper who clicks nothing is
still in the shop), an output of its own.

**The choice model** P(i | s, A) is learned too (the agent never reads the hidden state): a
second network gives each item a logit z(s, i), the no-click logit is fixed at 0 (only
differences are identified), and it is fitted by the conditional-logit likelihood of the
position chosen: cross-entropy over the k + 1 options [z(s, a_1), ..., z(s, a_k), 0].

With gamma = 0 the same agent is the *myopic slate* (no oracle): it learns the immediate
reward of each item and the choice model, and shows the slate of highest expected immediate
reward. Both networks are ``dqrec.networks.QNetwork`` (the history encoder of the book).
"""

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from dqrec.config import NetworkConfig, check_choice, check_float, check_int
from dqrec.losses import huber
from dqrec.networks import build_q_network
from dqrec.slates.choice import choice_probabilities
from dqrec.slates.optimise import METHODS, best_slates


@dataclass(frozen=True)
class SlateQConfig:
    """How the SlateQ agent learns (every field checked; errors name field, value, range)."""

    gamma: float = 0.9  # discount; 0 gives the learned myopic slate
    target: str = "q_learning"  # "q_learning" (best next slate) or "sarsa" (next slate shown)
    optimiser: str = "exact"  # slate optimiser for acting and the Q-learning target
    lr: float = 1e-3  # Adam learning rate (both networks)
    batch_size: int = 128  # transitions per gradient step
    target_period: int = 200  # gradient steps between copies of the Q-network to its target
    huber_delta: float = 1.0  # Huber loss of the TD error
    network: NetworkConfig = field(
        default_factory=lambda: NetworkConfig(head="dense", dueling=False)
    )

    def __post_init__(self):
        check_float(self, "gamma", 0.0, 1.0)
        check_choice(self, "target", ("q_learning", "sarsa"))
        check_choice(self, "optimiser", tuple(m for m in METHODS if m != "enumerate"))
        check_float(self, "lr", 0.0, 1.0, low_open=True)
        check_int(self, "batch_size", 1, 1_000_000)
        check_int(self, "target_period", 1)
        check_float(self, "huber_delta", 0.0, 1e9, low_open=True)


class SlateQAgent:
    """Item-level Q-network (num_items + 1 outputs: the items, then ⊥) and a choice network."""

    def __init__(self, slate_config, config: SlateQConfig | None = None, seed: int = 0):
        from dqrec.slates.config import SlateConfig

        if not isinstance(slate_config, SlateConfig):
            raise ValueError(f"SlateQAgent needs a SlateConfig, got {type(slate_config).__name__}")
        if config is not None and not isinstance(config, SlateQConfig):
            raise ValueError(f"SlateQAgent needs a SlateQConfig, got {type(config).__name__}")
        self.slate_config = slate_config
        self.config = SlateQConfig() if config is None else config
        shop = slate_config.shop
        self.num_items, self.k = shop.num_items, slate_config.slate_size
        keras.utils.set_random_seed(seed)
        args = (shop.obs_dim, self.num_items + 1, self.config.network, shop.history_len)
        self.q_network = build_q_network(*args, num_items=shop.num_items)
        self.target_network = build_q_network(*args, num_items=shop.num_items)
        self.target_network.set_weights(self.q_network.get_weights())
        choice_args = (shop.obs_dim, self.num_items, self.config.network, shop.history_len)
        self.choice_network = build_q_network(*choice_args, num_items=shop.num_items)
        self.optimizer = keras.optimizers.Adam(self.config.lr, global_clipnorm=10.0)
        self.variables = (
            self.q_network.trainable_variables + self.choice_network.trainable_variables
        )
        self.optimizer.build(self.variables)
        self.gradient_steps = 0
        spec = tf.TensorSpec((None, shop.obs_dim), tf.float32)
        self._heads = tf.function(
            lambda obs: (self.q_network(obs), self.choice_network(obs)), input_signature=[spec]
        )
        self._next = tf.function(
            lambda obs: (self.target_network(obs), self.choice_network(obs)),
            input_signature=[spec],
        )
        self._step = tf.function(self._gradient_step)

    # ---- acting ---------------------------------------------------------------------------
    def heads(self, obs):
        """``(Qbar (N, num_items + 1), choice logits (N, num_items))`` of the online networks."""
        q, z = self._heads(tf.convert_to_tensor(obs, tf.float32))
        return q.numpy().astype(np.float64), z.numpy().astype(np.float64)

    def slates(self, obs, method=None):
        """The best slates ``(N, k)`` and their values ``Q(s, A)`` under the learned models."""
        q, z = self.heads(obs)
        return best_slates(method or self.config.optimiser, z, q[:, :-1], q[:, -1], self.k, 1.0)

    def act(self, obs, env=None):
        """Greedy slates ``(N, k)`` (``env`` is unused: the agent reads observations only)."""
        return self.slates(obs)[0]

    # ---- learning -------------------------------------------------------------------------
    def targets(self, batch):
        """TD targets ``(B,)``: r + gamma (1 - terminated) sum_j P(j | s', A') Qbar_target(s', j)."""
        gamma = self.config.gamma
        if gamma == 0.0:
            return batch["rewards"].astype(np.float64)
        q, z = self._next(tf.convert_to_tensor(batch["next_obs"]))
        q, z = q.numpy().astype(np.float64), z.numpy().astype(np.float64)
        if self.config.target == "q_learning":
            _, value = best_slates(self.config.optimiser, z, q[:, :-1], q[:, -1], self.k, 1.0)
        else:  # SARSA: the slate shown next
            next_slates = batch["next_slates"]
            p, p_none = choice_probabilities(np.take_along_axis(z, next_slates, 1), 1.0)
            value = (p * np.take_along_axis(q, next_slates, 1)).sum(1) + p_none * q[:, -1]
        return batch["rewards"] + gamma * (1.0 - batch["terminated"]) * value

    def _gradient_step(self, obs, slates, positions, chosen, targets):
        with tf.GradientTape() as tape:
            q = self.q_network(obs)  # (B, num_items + 1)
            q_chosen = tf.gather(q, chosen, axis=1, batch_dims=1)
            q_loss = tf.reduce_mean(huber(targets - q_chosen, self.config.huber_delta))
            z = tf.gather(self.choice_network(obs), slates, axis=1, batch_dims=1)  # (B, k)
            options = tf.concat([z, tf.zeros_like(z[:, :1])], axis=1)  # the no-click logit: 0
            labels = tf.where(positions < 0, self.k, positions)
            choice_loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=options)
            )
            loss = q_loss + choice_loss
        grads = tape.gradient(loss, self.variables)
        self.optimizer.apply_gradients(zip(grads, self.variables, strict=True))
        return q_loss, choice_loss, tf.reduce_mean(q_chosen)

    def train_step(self, batch) -> dict:
        """One gradient step on a batch dict (``SlateReplay.sample``); returns the losses."""
        targets = self.targets(batch).astype(np.float32)
        chosen = np.where(batch["positions"] < 0, self.num_items, batch["chosen"])
        q_loss, choice_loss, mean_q = self._step(
            tf.constant(batch["obs"]),
            tf.constant(batch["slates"], tf.int32),
            tf.constant(batch["positions"], tf.int32),
            tf.constant(chosen, tf.int32),
            tf.constant(targets),
        )
        self.gradient_steps += 1
        if self.gradient_steps % self.config.target_period == 0:
            self.target_network.set_weights(self.q_network.get_weights())
        return {
            "loss": float(q_loss),
            "choice_loss": float(choice_loss),
            "mean_q": float(mean_q),
        }


class SlateReplay:
    """A ring buffer of slate transitions (NumPy arrays allocated once)."""

    FIELDS = (
        "obs",
        "slates",
        "positions",
        "chosen",
        "rewards",
        "next_obs",
        "terminated",
        "next_slates",
    )

    def __init__(self, capacity, obs_dim, k):
        self.capacity, self.pos, self.full = capacity, 0, False
        shapes = {
            "obs": ((obs_dim,), np.float32),
            "slates": ((k,), np.int64),
            "positions": ((), np.int64),
            "chosen": ((), np.int64),
            "rewards": ((), np.float64),
            "next_obs": ((obs_dim,), np.float32),
            "terminated": ((), np.float64),
            "next_slates": ((k,), np.int64),
        }
        self.data = {n: np.zeros((capacity, *s), d) for n, (s, d) in shapes.items()}

    def __len__(self):
        return self.capacity if self.full else self.pos

    def add(self, **rows):
        n = len(rows["rewards"])
        idx = (self.pos + np.arange(n)) % self.capacity
        for name in self.FIELDS:
            self.data[name][idx] = rows[name]
        self.full = self.full or self.pos + n >= self.capacity
        self.pos = (self.pos + n) % self.capacity

    def sample(self, batch_size, rng):
        idx = rng.integers(0, len(self), size=batch_size)
        return {name: array[idx] for name, array in self.data.items()}
