"""The DQN update's math, shared by every agent: Huber loss, per-example TD loss, target update.

``DQNAgent`` (one device), ``DistributedDQN`` (several replicas) and the two-tower step
(``dqrec.two_tower``) all regress ``Q(s, a)`` onto ``dqrec.targets.td_targets`` with the loss
below and keep their target network up to date with ``update_target``; only how the loss is
averaged and the gradient applied differs between them.
"""

import tensorflow as tf

from dqrec.targets import td_targets


def huber(errors, delta):
    """Huber loss per element: ``e^2 / 2`` for ``|e| <= delta``, ``delta (|e| - delta / 2)`` beyond.

    Large TD errors (early in training, or after a lucky purchase) then pull with a bounded
    gradient instead of a squared one (Mnih et al. 2015 clip the error for the same reason).
    """
    abs_errors = tf.abs(errors)
    quadratic = tf.minimum(abs_errors, delta)
    return 0.5 * quadratic**2 + delta * (abs_errors - quadratic)


def per_example_td_loss(online, target, batch, config):
    """Huber loss of each transition's TD error and the Q-values it regresses, both ``(batch,)``.

    ``batch`` is ``(obs, actions, rewards, next_obs, terminated, discounts)`` with
    ``discounts`` gamma (a number) or ``(batch,)`` per-transition discounts (``gamma^k`` for
    n-step transitions); ``config`` (an ``AgentConfig``) gives ``huber_delta`` and
    ``double_dqn``. Call it under a ``tf.GradientTape``: the gradient flows through
    ``Q_online(s, a)`` only, never through the target.
    """
    obs, actions, rewards, next_obs, terminated, discounts = batch
    next_q_target = target(next_obs)  # (batch, num_actions)
    next_q_online = online(next_obs) if config.double_dqn else None
    targets = td_targets(rewards, terminated, next_q_target, discounts, next_q_online)  # (batch,)
    q_values = online(obs)  # (batch, num_actions)
    q_taken = tf.gather(q_values, actions, axis=1, batch_dims=1)  # (batch,)
    return huber(targets - q_taken, config.huber_delta), q_taken


def update_target(target, online, step, config):
    """Move the target network toward the online one after gradient step ``step``.

    ``config.target_update == "polyak"``: every step, ``target <- tau * online + (1 - tau) *
    target`` (an exponential moving average with time constant ``1 / tau`` steps).
    ``"hard"``: copy the online weights every ``config.target_period`` steps, so the target
    stays frozen in between. ``step`` may be a ``tf.Variable`` (inside a ``tf.function``).
    """
    if config.target_update == "polyak":
        for target_var, online_var in zip(target.weights, online.weights, strict=True):
            target_var.assign(config.tau * online_var + (1.0 - config.tau) * target_var)
    elif step % config.target_period == 0:
        for target_var, online_var in zip(target.weights, online.weights, strict=True):
            target_var.assign(online_var)
