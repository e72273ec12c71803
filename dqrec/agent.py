"""The DQN agent: an online Q-network, a target network, and one ``tf.function`` train step.

It works on any environment with a discrete action space and an array observation: the
shop (with a history encoder) or, say, CartPole (with the ``"mlp"`` encoder). The agent
holds state (networks, optimizer, step counter); the math lives in pure functions:
``dqrec.targets.td_targets`` for the target, ``dqrec.losses`` for the loss and the
target-network update (shared with ``dqrec.distributed`` and ``dqrec.two_tower``).

One gradient step on a batch ``(s, a, r, s', terminated, discount)`` (``discount`` is gamma
for one-step transitions and gamma^k for n-step ones, see ``dqrec.nstep``):

    y      = td_targets(r, terminated, Q_target(s', .), discount, Q_online(s', .) if Double DQN)
    loss   = mean_i huber(y_i - Q_online(s_i, a_i))
    theta <- Adam(theta, clip_by_global_norm(grad loss))
"""

import keras
import numpy as np
import tensorflow as tf

from dqrec.losses import huber, per_example_td_loss, update_target
from dqrec.networks import build_q_network
from dqrec.policy import StepStats
from dqrec.shared_update import compiled_update

__all__ = ["DQNAgent", "huber"]  # huber is re-exported: the book imports it from here


class DQNAgent:
    """Deep Q-learning with a target network, Double DQN and Huber loss."""

    def __init__(
        self,
        obs_dim,
        num_actions,
        agent_config,
        network_config,
        history_len=0,
        num_items=0,
        metadata=None,
    ):
        self.config = agent_config
        self.num_actions = num_actions
        # what the compiled update's trace depends on, besides the batch shape (dqrec.shared_update)
        self._shape_key = (type(self), obs_dim, num_actions, network_config, history_len, num_items)
        args = (obs_dim, num_actions, network_config, history_len, num_items, metadata)
        self.online = build_q_network(*args)
        self.target = build_q_network(*args)
        self.target.set_weights(self.online.get_weights())
        self.optimizer = keras.optimizers.Adam(
            learning_rate=agent_config.lr, global_clipnorm=agent_config.grad_clip_norm
        )
        self.optimizer.build(self.online.trainable_variables)
        # Counts gradient steps; a variable so the compiled loop can time target updates.
        self.step_counter = tf.Variable(0, dtype=tf.int64, trainable=False)
        obs_spec = tf.TensorSpec((None, obs_dim), tf.float32)
        # Fixed signatures: calls with new batch sizes or step counts never retrace. The
        # concrete function is called directly: a tf.function's dispatch (signature checks,
        # cache lookup) costs as much as the small forward pass itself (benchmarks/bench_speed.py).
        # It is traced once per shape of agent, like the update (dqrec.shared_update).
        self._q_fn = tf.function(self._q_values, input_signature=[obs_spec])
        self._q_concrete = compiled_update(
            self, (*self._shape_key, "q_values"), self._q_fn.get_concrete_function
        )
        # Traced once per number of steps K (a fixed config value) and batch size, and shared
        # by every agent of the same configs in this process (dqrec.shared_update).
        self._train_fn = tf.function(self._train_and_read, jit_compile=agent_config.jit_compile)
        self._train_fns = {}
        # The online weights after the last train_steps call, as NumPy arrays in
        # online.get_weights() order (None before the first): the training loop acts with
        # them in NumPy (dqrec.acting). They come back from the compiled update itself, since
        # reading the Keras variables one by one costs about 0.1 ms each. They come as one flat
        # tensor (one output handle instead of one per weight), cut here into views.
        self.latest_weights = None
        ends = np.cumsum([int(np.prod(w.shape)) for w in self.online.weights])
        self._weight_pieces = [
            (end - int(np.prod(w.shape)), end, tuple(w.shape))
            for end, w in zip(ends, self.online.weights, strict=True)
        ]

    @property
    def gradient_steps(self) -> int:
        return int(self.step_counter.numpy())

    # ---- acting -----------------------------------------------------------------------
    def _q_values(self, obs):
        return self.online(obs)  # (batch, num_actions)

    def q_values(self, obs) -> np.ndarray:
        """``(batch, num_actions)`` Q-values of the online network."""
        return self._q_concrete(tf.constant(np.asarray(obs, np.float32))).numpy()

    def act(self, obs, env=None) -> np.ndarray:
        """Greedy actions, ``(batch,)``: the item with the highest Q-value (``env`` is unused)."""
        return np.argmax(self.q_values(obs), axis=1).astype(np.int64)

    # ---- learning ---------------------------------------------------------------------
    def _gradient_step(self, obs, actions, rewards, next_obs, terminated, discounts):
        batch = (obs, actions, rewards, next_obs, terminated, discounts)
        with tf.GradientTape() as tape:
            # Huber loss of y - Q_online(s, a); the TD target y carries no gradient
            per_example, q_taken = per_example_td_loss(self.online, self.target, batch, self.config)
            loss = tf.reduce_mean(per_example)  # per_example and q_taken: (batch,)
        grads = tape.gradient(loss, self.online.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.online.trainable_variables, strict=True))
        self.step_counter.assign_add(1)
        self._update_target()
        return loss, tf.reduce_mean(q_taken)

    def _update_target(self):
        # Polyak: a small step toward the online weights every time; hard: a copy every
        # target_period gradient steps (see dqrec.losses.update_target)
        update_target(self.target, self.online, self.step_counter, self.config)

    def _train_steps(self, obs, actions, rewards, next_obs, terminated, discounts):
        # K gradient steps in one compiled call: a TensorFlow function call costs about as
        # much as a whole small gradient step on a CPU, so looping in Python would halve speed.
        # A graph loop (tf.range), not a Python one: the step is traced and compiled once,
        # not K times unrolled, which nearly halves the first call (benchmarks/bench_speed.py)
        # and gives the same numbers for the default hard target update.
        num_steps = actions.shape[0]
        stats = tf.TensorArray(tf.float32, size=num_steps)
        for k in tf.range(num_steps):
            loss, mean_q = self._gradient_step(
                obs[k], actions[k], rewards[k], next_obs[k], terminated[k], discounts[k]
            )
            stats = stats.write(k, tf.stack([loss, mean_q]))
        return tf.transpose(stats.stack())  # (2, K) losses and mean Qs: one tensor to fetch

    def _train_and_read(self, *batch):
        stats = self._train_steps(*batch)  # the reads below come after the update's writes
        return stats, tf.concat([tf.reshape(v, [-1]) for v in self.online.weights], axis=0)

    def train_steps(self, batch) -> StepStats:
        """Gradient steps on a stacked batch: every field of ``batch`` has leading dims
        ``(num_steps, batch_size)`` (see ``ReplayBuffer.sample_many``). After each step the
        target network is updated (Polyak) or copied every ``target_period`` steps (hard).
        Returns the mean loss and mean Q of the taken actions over the steps (``StepStats``)."""
        num_steps, batch_size = batch.actions.shape
        discounts = batch.discounts
        if discounts is None:  # one-step transitions: every bootstrap term is discounted by gamma
            discounts = np.full((num_steps, batch_size), self.config.gamma, np.float32)
        obs_dim = batch.obs.shape[-1]
        signature = (num_steps, batch_size, obs_dim)
        if signature not in self._train_fns:  # one compiled graph per (K, batch) shape
            self._train_fns[signature] = compiled_update(
                self,
                (*self._shape_key, self.config, signature),
                lambda: self._train_fn.get_concrete_function(
                    tf.TensorSpec(signature, tf.float32),
                    tf.TensorSpec(signature[:2], tf.int32),
                    tf.TensorSpec(signature[:2], tf.float32),
                    tf.TensorSpec(signature, tf.float32),
                    tf.TensorSpec(signature[:2], tf.float32),
                    tf.TensorSpec(signature[:2], tf.float32),
                ),
            )
        stats, weights = self._train_fns[signature](
            tf.constant(batch.obs),
            tf.constant(batch.actions),
            tf.constant(batch.rewards),
            tf.constant(batch.next_obs),
            tf.constant(batch.terminated),
            tf.constant(discounts),
        )
        flat = weights.numpy()
        self.latest_weights = [flat[a:b].reshape(shape) for a, b, shape in self._weight_pieces]
        stats = stats.numpy()  # (2, K) losses and mean Qs; averaged here, not by eager TF ops
        return {"loss": float(stats[0].mean()), "mean_q": float(stats[1].mean())}

    def train_step(self, batch) -> StepStats:
        """One gradient step on a ``dqrec.replay.Batch`` (fields with leading dim ``batch``);
        a ``dqrec.policy.Learner``."""
        return self.train_steps(
            type(batch)(*(None if x is None else np.expand_dims(x, 0) for x in batch))
        )

    # ---- state for checkpoints ----------------------------------------------------------
    def get_state(self) -> dict:
        state = {f"online/{i}": w for i, w in enumerate(self.online.get_weights())}
        state.update({f"target/{i}": w for i, w in enumerate(self.target.get_weights())})
        state.update({f"optimizer/{i}": v.numpy() for i, v in enumerate(self.optimizer.variables)})
        state["gradient_steps"] = np.int64(self.gradient_steps)
        return state

    def set_state(self, state: dict) -> None:
        def group(prefix):
            keys = sorted(
                (k for k in state if k.startswith(prefix)), key=lambda k: int(k[len(prefix) :])
            )
            return [state[k] for k in keys]

        online, target, opt = group("online/"), group("target/"), group("optimizer/")
        if len(online) != len(self.online.weights) or len(opt) != len(self.optimizer.variables):
            raise ValueError("checkpoint does not match this network's architecture")
        self.online.set_weights(online)
        self.target.set_weights(target)
        for variable, value in zip(self.optimizer.variables, opt, strict=True):
            variable.assign(value)
        self.step_counter.assign(int(state["gradient_steps"]))
        self.latest_weights = None  # the last update's weights no longer are the network's
