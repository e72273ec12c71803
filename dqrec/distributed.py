"""Training on several devices or machines: the DQN step under a ``tf.distribute`` strategy
(``MirroredStrategy`` on one machine, ``MultiWorkerMirroredStrategy`` across several).

Data parallelism: every device (a *replica*) holds a full copy of the networks. A global
batch of ``B`` transitions is split into ``R`` per-replica batches of ``B / R``; each replica
computes the gradient of its share of the loss, the gradients are summed across replicas,
and the same update is applied to every copy, so the copies never drift apart. Done right,
this is the *same* update as one device on the whole batch, up to float rounding. Two
details make it so:

* **Scale by the global batch.** Each replica's loss is ``sum_i loss_i / B``
  (``tf.nn.compute_average_loss(per_example, global_batch_size=B)``), not a mean over its
  own ``B / R`` rows; the sum over replicas is then the global mean.
* **Clip after summing.** ``DQNAgent`` clips the global gradient norm. Keras 3 optimizers
  clip (``global_clipnorm``) *before* they sum gradients across replicas, which would clip
  each replica's partial gradient instead. So here the replicas return gradients, the
  strategy sums them (``strategy.reduce``), and the step clips and applies the sum once,
  in cross-replica context (the update is mirrored onto every copy).

The same code runs on several GPUs: ``tf.distribute.MirroredStrategy()`` picks up every
visible GPU (or pass ``devices=["/gpu:0", "/gpu:1"]``), uses NCCL to sum gradients, and
places each replica's batch on its GPU; nothing else changes. On a CPU-only machine the
tests split the CPU into logical devices (``split_cpu``) to exercise the same code paths.
Beyond one machine, pass ``tf.distribute.MultiWorkerMirroredStrategy()``: every machine runs
the same program with a ``TF_CONFIG`` environment variable naming the cluster and its own
place in it, and each worker feeds its replicas' share of the global batch; the step is the
same (``tests/test_multiworker.py`` runs two workers on 127.0.0.1; the book's "Training on a
cluster" page says what changes: TF_CONFIG, data sharding, where the replay buffer lives).
"""

import keras
import numpy as np
import tensorflow as tf

from dqrec.losses import per_example_td_loss, update_target
from dqrec.networks import build_q_network
from dqrec.policy import StepStats

__all__ = ["DistributedDQN", "per_example_td_loss", "split_cpu"]  # the loss lives in dqrec.losses


def split_cpu(num_devices: int) -> list:
    """Split the CPU into ``num_devices`` logical devices. Call before TensorFlow runs any op."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(num_devices)]
    )
    return tf.config.list_logical_devices("CPU")


class DistributedDQN:
    """DQN's online and target networks mirrored over ``strategy``'s replicas.

    ``train_step(batch)`` makes one gradient step on a global batch (a ``dqrec.replay.Batch``
    whose size divides by the number of replicas), with the same target-network updates as
    ``DQNAgent``, and reports the same ``dqrec.policy.StepStats`` (a ``Learner``).
    """

    def __init__(
        self,
        strategy,
        obs_dim,
        num_actions,
        agent_config,
        network_config,
        history_len=0,
        num_items=0,
        metadata=None,
    ):
        self.strategy, self.config = strategy, agent_config
        args = (obs_dim, num_actions, network_config, history_len, num_items, metadata)
        with strategy.scope():  # variables created here are mirrored on every replica
            self.online = build_q_network(*args)
            self.target = build_q_network(*args)
            self.target.set_weights(self.online.get_weights())
            # no clipnorm here: the step clips the summed gradient itself (module docstring)
            self.optimizer = keras.optimizers.Adam(learning_rate=agent_config.lr)
            self.optimizer.build(self.online.trainable_variables)
            self.step_counter = tf.Variable(0, dtype=tf.int64, trainable=False)
        self._step_fn = tf.function(self._step)

    def load_weights_from(self, agent) -> None:
        """Start from a ``DQNAgent``'s online and target weights."""
        self.online.set_weights(agent.online.get_weights())
        self.target.set_weights(agent.target.get_weights())

    def _replica_gradients(
        self, obs, actions, rewards, next_obs, terminated, discounts, global_batch
    ):
        cfg = self.config
        with tf.GradientTape() as tape:
            batch = (obs, actions, rewards, next_obs, terminated, discounts)
            per_example, q_taken = per_example_td_loss(self.online, self.target, batch, cfg)
            # this replica's share of the GLOBAL mean: sum of its rows / global batch size
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
        grads = tape.gradient(loss, self.online.trainable_variables)
        mean_q = tf.reduce_sum(q_taken) / tf.cast(global_batch, q_taken.dtype)  # its share
        return [tf.convert_to_tensor(g) for g in grads], loss, mean_q  # embeddings: sparse grads

    def _step(self, per_replica_batch, global_batch):
        cfg, strategy = self.config, self.strategy
        grads, losses, mean_qs = strategy.run(
            self._replica_gradients, args=(*per_replica_batch, global_batch)
        )
        grads = [strategy.reduce(tf.distribute.ReduceOp.SUM, g, axis=None) for g in grads]
        grads, _ = tf.clip_by_global_norm(grads, cfg.grad_clip_norm)  # the global gradient
        self.optimizer.apply_gradients(zip(grads, self.online.trainable_variables, strict=True))
        self.step_counter.assign_add(1)
        update_target(self.target, self.online, self.step_counter, cfg)  # as DQNAgent does
        # the global means of the loss and of Q(s, a): each replica's share, summed
        loss = strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)
        return loss, strategy.reduce(tf.distribute.ReduceOp.SUM, mean_qs, axis=None)

    def train_step(self, batch) -> StepStats:
        """One gradient step on a global ``Batch``; returns its mean loss and mean Q-value of the
        taken actions (over the whole global batch), like ``DQNAgent.train_step``."""
        num_replicas = self.strategy.num_replicas_in_sync
        global_batch = len(batch.actions)
        if global_batch % num_replicas:
            raise ValueError(
                f"batch size {global_batch} must be a multiple of the {num_replicas} replicas"
            )
        share = global_batch // num_replicas
        discounts = getattr(batch, "discounts", None)
        if discounts is None:  # one-step transitions: every bootstrap term is discounted by gamma
            discounts = np.full(global_batch, self.config.gamma, np.float32)
        fields = (
            batch.obs,
            batch.actions,
            batch.rewards,
            batch.next_obs,
            batch.terminated,
            discounts,
        )
        dtypes = (tf.float32, tf.int32, tf.float32, tf.float32, tf.float32, tf.float32)

        def replica_rows(context):  # rows [i * share, (i + 1) * share) go to replica i
            start = context.replica_id_in_sync_group * share
            return tuple(
                tf.constant(np.asarray(x)[start : start + share], dtype)
                for x, dtype in zip(fields, dtypes, strict=True)
            )

        per_replica = self.strategy.experimental_distribute_values_from_function(replica_rows)
        loss, mean_q = self._step_fn(per_replica, tf.constant(global_batch))
        return {"loss": float(loss), "mean_q": float(mean_q)}
