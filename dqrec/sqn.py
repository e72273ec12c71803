"""Offline deep Q-learning on logs: a Q-learning head on the supervised backbone, kept
conservative and stable.

Why not plain offline DQN (``dqrec.offline.fit_offline_q``)? From logs alone, ``Q(s, a)``
receives a target only for the item ``a`` the customer took; every other item's value is
extrapolation, and the ``max`` in the TD target picks exactly the items whose value is
over-estimated, so errors feed on themselves (extrapolation error, Fujimoto et al. 2019). On
Online Retail that network ranks below popularity, and on other logs its Q-values grow
without bound.

The fix here has three parts, each a knob of ``SQNConfig``:

1. **The anchor** (SQN, Xin et al. 2020): a ``dqrec.sequential.SequentialModel`` with two heads
   on one state ``z(s)``: next-item logits trained with cross-entropy over all items, and
   ``Q(s, .)`` trained with the one-step TD loss (``dqrec.targets.td_targets``, Double DQN with a
   target network, ``dqrec.losses.huber`` / ``update_target``). The losses are summed, so the
   supervised gradient, dense over the whole catalogue, shapes the shared encoder and keeps the
   Q-head's inputs meaningful::

       L = CE(logits(s), a) + q_loss_weight * Huber(y - Q(s, a)) + cql_weight * CQL(s, a)
           (+ the range penalty of the guard, 3.)

2. **Conservatism** (CQL, Kumar et al. 2020): ``CQL(s, a) = logsumexp_a' Q(s, a') - Q(s, a)``
   pushes every item's value down and the logged item's up, so an item is valued highly only
   where the log supports it.

3. **A stability guard**: rewards are bounded, so every true value lies in
   ``[min(0, r_min), max(0, r_max)] / (1 - gamma)`` (:func:`value_range`), for every item,
   logged or not; in particular ``|Q| <= max |r| / (1 - gamma)`` (:func:`q_bound`). The remedy
   (``keep_in_range``): TD targets are clipped into the range, and the values of all items
   that leave it are pushed back by ``10 sum_a relu(Q(s, a) - high) + relu(low - Q(s, a))`` (an
   impossible value is an extrapolation error by definition; CQL pushes unlogged items down,
   and this stops them at ``low``). The check: every ``check_every`` compiled calls the
   values over a fixed probe set of logged states and all items are measured; a value outside
   the range (by more than ``tolerance`` times its width) or not finite is a divergence, raised as
   ``QDivergenceError`` (``on_divergence="raise"``) or returned flagged (``"flag"``:
   ``SQNResult.diverged``, training stops there). Never a silent result.

**Ranking.** Xin et al. recommend with the supervised head; the Q-head acts through the shared
encoder. :func:`ranking_scores` gives ``log_softmax(logits) + rank_q_weight * Q``:
``rank_q_weight = 0`` is the paper's rule; a positive weight tilts the ranking toward items of
higher value (tuned on a validation split in ``benchmarks/bench_offline.py``).

**Rewards** (:data:`REWARD_SCHEMES`, from what the log has): ``"value"`` = ``log1p(value)`` of
each purchase (for Online Retail the line revenue in GBP; the log tames wholesale orders' heavy
tail), ``"purchase"`` = 1 per purchase, ``"engagement"`` = 1 per purchase, 0.5 per add-to-cart,
0.2 per click and 0.1 per view (Xin et al. weigh clicks 0.2 and purchases 1). A reward column
that is constant carries no information about which item is worth more; :func:`logged_transitions`
then raises a ``ValueError`` naming the scheme and suggesting another.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from dqrec.config.checks import check_bool, check_choice, check_float, check_int
from dqrec.data import to_transitions
from dqrec.losses import huber, update_target
from dqrec.sequential import SequentialConfig, build_model, minibatch_indices
from dqrec.targets import td_targets

REWARD_SCHEMES = {
    "value": "log1p(value) per purchase, 0 for other events",
    "purchase": "1 per purchase, 0 for other events",
    "engagement": "purchase 1, cart 0.5, click 0.2, view 0.1, impression 0",
}
ENGAGEMENT = {"purchase": 1.0, "cart": 0.5, "click": 0.2, "view": 0.1, "impression": 0.0}


class QDivergenceError(RuntimeError):
    """The Q-values left the range the rewards allow (see the module docstring)."""


def event_rewards(episodes, scheme: str) -> np.ndarray:
    """``(n,)`` float32 reward of every row of ``episodes`` under ``scheme``."""
    if scheme not in REWARD_SCHEMES:
        raise ValueError(f"reward scheme must be one of {tuple(REWARD_SCHEMES)}, got {scheme!r}")
    purchase = (episodes["event"] == "purchase").to_numpy()
    if scheme == "value":
        value = np.nan_to_num(episodes["value"].to_numpy(float), nan=0.0)
        return np.where(purchase, np.log1p(np.maximum(value, 0.0)), 0.0).astype(np.float32)
    if scheme == "purchase":
        return purchase.astype(np.float32)
    return episodes["event"].map(ENGAGEMENT).fillna(0.0).to_numpy(np.float32)


def logged_transitions(episodes, catalogue, history_len: int, reward: str = "value"):
    """``dqrec.data.to_transitions`` of ``episodes`` with rewards from ``reward`` (a key of
    :data:`REWARD_SCHEMES`). Raises ``ValueError`` when every reward is the same number."""
    t = to_transitions(episodes, catalogue, history_len)
    rewards = event_rewards(episodes, reward)
    if len(rewards) and np.all(rewards == rewards[0]):
        others = [name for name in REWARD_SCHEMES if name != reward]
        raise ValueError(
            f"reward scheme {reward!r} gives every one of the {len(rewards)} logged steps the "
            f"same reward {float(rewards[0])}: Q-learning cannot tell items apart from it; "
            f"use a log with a value or event column and one of {others}"
        )
    return t._replace(reward=rewards)


def q_bound(rewards, gamma: float) -> float:
    """``max |r| / (1 - gamma)``: no discounted return of these rewards can exceed it."""
    return float(np.max(np.abs(rewards))) / (1.0 - gamma)


def value_range(rewards, gamma: float) -> tuple[float, float]:
    """``(low, high)`` of every discounted return of these rewards (sums of 0 or more
    rewards, discounted): ``min(0, r_min) / (1 - gamma)`` and ``max(0, r_max) / (1 - gamma)``."""
    rewards = np.asarray(rewards, float)
    return min(0.0, rewards.min()) / (1.0 - gamma), max(0.0, rewards.max()) / (1.0 - gamma)


@dataclass(frozen=True)
class SQNConfig:
    """Offline Q-learning on the supervised backbone (knobs of the module docstring)."""

    network: SequentialConfig = field(default_factory=SequentialConfig)  # encoder and budget
    gamma: float = 0.5  # discount; < 1 so the value bound r_max / (1 - gamma) exists
    q_loss_weight: float = 1.0  # weight of the TD loss next to the cross-entropy
    cql_weight: float = 0.1  # weight of the CQL penalty logsumexp Q - Q(s, a); 0 turns it off
    double_dqn: bool = True  # the online Q-head picks a*, the target network values it
    target_update: str = "polyak"  # "polyak" (soft, every step) or "hard" (copy every period)
    tau: float = 0.01  # Polyak rate per gradient step
    target_period: int = 200  # gradient steps between hard copies
    huber_delta: float = 1.0  # Huber loss: quadratic for |TD error| <= delta
    keep_in_range: bool = True  # the guard's remedy: clip targets, penalise |Q| > bound
    check_every: int = 10  # compiled calls between checks of max |Q| (0: never check)
    tolerance: float = 0.05  # divergence: Q outside the value range by > tolerance * its width
    on_divergence: str = "raise"  # "raise" QDivergenceError, or "flag" and stop
    rank_q_weight: float = 0.0  # ranking = log_softmax(logits) + rank_q_weight * Q

    def __post_init__(self):
        check_float(self, "gamma", 0.0, 0.999)
        check_float(self, "q_loss_weight", 0.0, 1e6)
        check_float(self, "cql_weight", 0.0, 1e6)
        check_bool(self, "double_dqn")
        check_choice(self, "target_update", ("polyak", "hard"))
        check_float(self, "tau", 0.0, 1.0, low_open=True)
        check_int(self, "target_period", 1, 10**9)
        check_float(self, "huber_delta", 0.0, 1e6, low_open=True)
        check_bool(self, "keep_in_range")
        check_int(self, "check_every", 0, 10**9)
        check_float(self, "tolerance", 0.0, 1e6)
        check_choice(self, "on_divergence", ("raise", "flag"))
        check_float(self, "rank_q_weight", 0.0, 1e6)


class SQNResult(NamedTuple):
    model: object  # dqrec.sequential.SequentialModel with q_head=True
    losses: dict  # name -> (num_calls,) mean of "ce", "td", "cql", "total" per compiled call
    max_abs_q: np.ndarray  # (num_checks,) max |Q| over the probe states and all items
    q_range: np.ndarray  # (num_checks, 2) min and max Q over the probe states and all items
    check_steps: np.ndarray  # (num_checks,) gradient steps done at each check
    bound: float  # max |r| / (1 - gamma)
    value_range: tuple  # (low, high) of value_range(rewards, gamma)
    diverged: bool  # True when a check failed (training stopped there)


def fit_sqn(transitions, num_items, history_len, config=None, seed=0, num_probe=1024):
    """Train the two-headed model on logged transitions (see the module docstring).

    ``transitions`` come from :func:`logged_transitions` (or ``dqrec.data.to_transitions``);
    ``num_items`` is ``catalogue.num_items``. Raises ``QDivergenceError`` if the guard trips
    (``config.on_divergence == "raise"``).
    """
    config = config or SQNConfig()
    net = config.network
    keras.utils.set_random_seed(seed)
    obs = np.asarray(transitions.obs, np.float32)
    arrays = (
        obs,
        np.asarray(transitions.action, np.int32),
        np.asarray(transitions.reward, np.float32),
        np.asarray(transitions.next_obs, np.float32),
        np.asarray(transitions.terminated, np.float32),
    )
    bound = q_bound(arrays[2], config.gamma)
    low, high = value_range(arrays[2], config.gamma)
    slack = config.tolerance * (high - low)  # the check's tolerance
    online = build_model(obs.shape[1], history_len, num_items, net, q_head=True)
    target = build_model(obs.shape[1], history_len, num_items, net, q_head=True)
    target.set_weights(online.get_weights())
    optimizer = keras.optimizers.Adam(net.lr, global_clipnorm=net.grad_clip_norm)
    step = tf.Variable(0, dtype=tf.int64)
    clip = (low, high) if config.keep_in_range else (-np.inf, np.inf)
    lo, hi = tf.constant(clip[0], tf.float32), tf.constant(clip[1], tf.float32)

    def gradient_step(obs_b, actions, rewards, next_obs, terminated):
        next_q_target = target(next_obs)[1]  # (B, num_items)
        next_q_online = online(next_obs)[1] if config.double_dqn else None
        y = td_targets(rewards, terminated, next_q_target, config.gamma, next_q_online)  # (B,)
        y = tf.clip_by_value(y, lo, hi)  # the guard's remedy (infinite: no clipping)
        with tf.GradientTape() as tape:
            logits, q_values = online(obs_b)  # (B, num_items) each
            ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(actions, logits))
            q_taken = tf.gather(q_values, actions, axis=1, batch_dims=1)  # (B,)
            td = tf.reduce_mean(huber(y - q_taken, config.huber_delta))
            # CQL: soft maximum over all items minus the logged item's value
            cql = tf.reduce_mean(tf.reduce_logsumexp(q_values, axis=1) - q_taken)
            total = ce + config.q_loss_weight * td + config.cql_weight * cql
            if config.keep_in_range:  # pull every impossible value back inside the bound
                excess = tf.nn.relu(q_values - hi) + tf.nn.relu(lo - q_values)  # (B, items)
                total += 10.0 * tf.reduce_mean(tf.reduce_sum(excess, axis=1))  # a firm push back
        grads = tape.gradient(total, online.trainable_variables)
        optimizer.apply_gradients(zip(grads, online.trainable_variables, strict=True))
        step.assign_add(1)
        update_target(target, online, step, config)
        return tf.stack([ce, td, cql, total])

    @tf.function
    def train_calls(*batch):  # each (K, B, ...)
        parts = tf.zeros(4)
        for k in tf.range(net.steps_per_call):  # a graph loop: traced once, run K times
            parts += gradient_step(*(x[k] for x in batch))
        return parts / net.steps_per_call  # (4,) means over the K steps

    probe_rows = np.random.default_rng(seed + 1).choice(len(obs), min(num_probe, len(obs)), False)
    probe = tf.constant(obs[probe_rows])
    num_calls = -(-net.num_steps // net.steps_per_call)
    losses, checks, ranges, check_steps, diverged = [], [], [], [], False
    batches = minibatch_indices(len(obs), num_calls, net.steps_per_call, net.batch_size, seed)
    for call, idx in enumerate(batches, start=1):
        losses.append(train_calls(*(tf.constant(a[idx]) for a in arrays)).numpy())
        if config.check_every and (call % config.check_every == 0 or call == num_calls):
            q_probe = online(probe)[1].numpy()  # (num_probe, num_items)
            q_min, q_max = float(q_probe.min()), float(q_probe.max())
            max_q = max(abs(q_min), abs(q_max))
            checks.append(max_q)
            ranges.append((q_min, q_max))
            check_steps.append(int(step.numpy()))
            if not np.isfinite(max_q) or q_max > high + slack or q_min < low - slack:
                diverged = True
                if config.on_divergence == "raise":
                    raise QDivergenceError(
                        f"Q-values diverged: Q in [{q_min:.4g}, {q_max:.4g}] after "
                        f"{int(step.numpy())} gradient steps, outside the range the rewards "
                        f"allow [{low:.4g}, {high:.4g}] (max |Q| = {max_q:.4g}, bound max |r| / "
                        f"(1 - gamma) = {bound:.4g}); lower lr, keep keep_in_range=True"
                    )
                break
    losses = np.array(losses).reshape(-1, 4)
    names = ("ce", "td", "cql", "total")
    return SQNResult(
        online,
        {name: losses[:, i] for i, name in enumerate(names)},
        np.array(checks),
        np.array(ranges).reshape(-1, 2),
        np.array(check_steps, np.int64),
        bound,
        (low, high),
        diverged,
    )


def q_values(model, obs, batch_size=4096) -> np.ndarray:
    """The Q-head's values ``(n, num_items)``."""
    parts = [
        model(tf.constant(np.asarray(obs[i : i + batch_size], np.float32)))[1].numpy()
        for i in range(0, len(obs), batch_size)
    ]
    return np.concatenate(parts)


def ranking_scores(model, obs, rank_q_weight=0.0, batch_size=4096) -> np.ndarray:
    """``log_softmax(logits) + rank_q_weight * Q`` for every item ``(n, num_items)``."""
    parts = []
    for i in range(0, len(obs), batch_size):
        logits, q = model(tf.constant(np.asarray(obs[i : i + batch_size], np.float32)))
        parts.append((tf.nn.log_softmax(logits) + rank_q_weight * q).numpy())
    return np.concatenate(parts)
