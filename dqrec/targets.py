"""The temporal-difference (TD) target of deep Q-learning: one small, pure function.

For a transition ``(s, a, r, s')`` the target that ``Q(s, a)`` is regressed onto is

    y = r + gamma * (1 - terminated) * Q_target(s', a*)

with the next action chosen by

    a* = argmax_a' Q_target(s', a')     (DQN, Mnih et al. 2015)
    a* = argmax_a' Q_online(s', a')     (Double DQN, van Hasselt et al. 2016)

Only ``terminated`` (the session truly ended: the shopper left) stops bootstrapping. A
``truncated`` session was cut off by a step cap that is not part of the task, so its last
state still has a future and keeps its bootstrap term; that is why ``truncated`` is not an
argument here at all.
"""

import tensorflow as tf


def td_targets(rewards, terminated, next_q_target, gamma, next_q_online=None):
    """Return the TD targets ``y`` for a batch of transitions.

    Args:
        rewards: ``(batch,)`` rewards ``r``.
        terminated: ``(batch,)`` 1.0 (or True) where ``s'`` is terminal, else 0.0.
        next_q_target: ``(batch, num_actions)`` target-network values ``Q_target(s', .)``.
        gamma: discount factor in ``[0, 1]``: a scalar, or ``(batch,)`` per-transition
            discounts (``gamma^k`` for n-step transitions, see ``dqrec.nstep``).
        next_q_online: ``(batch, num_actions)`` online-network values ``Q_online(s', .)``;
            when given, the next action is chosen by the online network (Double DQN).

    Returns:
        ``(batch,)`` float32 tensor of targets. No gradient flows through it.
    """
    rewards = tf.cast(rewards, tf.float32)
    not_terminal = 1.0 - tf.cast(terminated, tf.float32)
    next_q_target = tf.cast(next_q_target, tf.float32)
    if next_q_online is None:
        next_value = tf.reduce_max(next_q_target, axis=-1)  # (batch,)
    else:
        # Double DQN: the online network picks a*, the target network values it.
        best_action = tf.argmax(next_q_online, axis=-1, output_type=tf.int32)  # (batch,)
        next_value = tf.gather(next_q_target, best_action, axis=-1, batch_dims=1)  # (batch,)
    # bootstrap only when the episode did not truly terminate (truncation still bootstraps)
    targets = rewards + gamma * not_terminal * next_value
    return tf.stop_gradient(targets)
