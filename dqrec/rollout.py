"""One session per shopper: the rollout loop with the active mask, written once.

A vector environment with same-step autoreset (``VecShopEnv``, or a Gymnasium vector env
made with ``AutoresetMode.SAME_STEP``) replaces a finished session by a new shopper in the
same row, inside ``step``. To measure each row's *first* session, the loop keeps a mask of
the rows still in it and counts nothing from a row once its session has ended:

    active = all rows
    while any row is active:
        actions = policy.act(obs, env)
        obs, rewards, terminated, truncated, info = env.step(actions)
        returns += rewards where active;  lengths += active
        active &= not (terminated or truncated)     # the row now holds a new shopper

``run_sessions`` is that loop for any such environment; ``rollout`` builds the shop, resets
it and adds the shop's own counts (clicks, purchases, revenue, items shown and bought).
Everything else a caller needs from each step (an OPE log, per-step rewards for a plot, the
hidden state) it collects with ``on_step``, called after every step with a ``Step``.

Randomness: ``VecShopEnv`` is counter-based, so ``rollout(policy, config, n, seed)`` shows
every policy the same ``n`` shoppers (common random numbers, see ``dqrec.evaluate``). Several
policies are compared by calling it once per policy with the same seed.
"""

from typing import Any, NamedTuple, Protocol

import numpy as np

from dqrec.envs import VecShopEnv
from dqrec.policy import Policy

__all__ = ["Sessions", "Step", "VectorEnv", "rollout", "run_sessions"]


class VectorEnv(Protocol):
    """A batch of environments with same-step autoreset (``VecShopEnv`` is one)."""

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any, Any]:
        """``(obs, rewards, terminated, truncated, info)``, each with one row per environment."""
        ...


class Step(NamedTuple):
    """One step of the rollout, as ``on_step`` sees it (after ``env.step``)."""

    t: int  # step number within the rollout: 0, 1, ...
    obs: np.ndarray  # (N, obs_dim) the observations the policy acted on
    actions: np.ndarray  # (N,) what it recommended
    rewards: np.ndarray  # (N,) rewards of the step, as the environment returned them
    terminated: np.ndarray  # (N,) bool
    truncated: np.ndarray  # (N,) bool
    info: dict  # the environment's info (VecShopEnv: clicked, purchased, revenue, ...)
    active: np.ndarray  # (N,) bool: the rows whose first session this step belongs to
    env: Any  # the environment, after the step (rows that finished hold new shoppers)


def run_sessions(policy: Policy, env: VectorEnv, obs: np.ndarray, on_step=None):
    """Play until every row has finished its first session from ``obs`` (after a reset).

    Returns ``(returns, lengths)``: the undiscounted return (float64) and the number of steps
    (int64) of each row's first session, ``(N,)`` each. ``on_step(step)`` is called with a
    ``Step`` after every environment step, before the mask is updated.
    """
    num_rows = len(obs)
    active = np.ones(num_rows, bool)  # still in their first session
    returns = np.zeros(num_rows)
    lengths = np.zeros(num_rows, np.int64)
    t = 0
    while active.any():
        actions = np.asarray(policy.act(obs, env))  # (N,)
        next_obs, rewards, terminated, truncated, info = env.step(actions)
        returns += np.where(active, rewards, 0.0)
        lengths += active
        if on_step is not None:
            on_step(Step(t, obs, actions, rewards, terminated, truncated, info, active, env))
        # a new array, not &=: a Step kept by on_step keeps its own mask
        active = active & ~(terminated | truncated)  # rows autoreset to new shoppers stop counting
        obs, t = next_obs, t + 1
    return returns, lengths


class Sessions(NamedTuple):
    """The first session of each of ``N`` shoppers under one policy."""

    returns: np.ndarray  # (N,) float64 undiscounted return of each session
    lengths: np.ndarray  # (N,) int64 recommendations in each session
    clicks: np.ndarray  # (N,) int64 clicks in each session
    purchases: np.ndarray  # (N,) int64 purchases in each session
    revenue: float  # total revenue of the N sessions (price units)
    shown: np.ndarray  # (num_items,) bool: the item was recommended in some session
    bought: np.ndarray  # (total purchases,) int64 item id of every purchase, step by step


def rollout(
    policy: Policy, shop_config, num_shoppers: int, seed: int, catalogue=None, on_step=None
) -> Sessions:
    """One session for each of ``num_shoppers`` shoppers of ``VecShopEnv(seed=seed)``.

    ``catalogue`` replaces the one built from ``shop_config`` (e.g. a calibrated one);
    ``on_step`` is passed on to ``run_sessions``.
    """
    env = VecShopEnv(shop_config, num_envs=num_shoppers, seed=seed, catalogue=catalogue)
    obs, _ = env.reset(seed=seed)
    clicks = np.zeros(num_shoppers, np.int64)
    purchases = np.zeros(num_shoppers, np.int64)
    shown = np.zeros(shop_config.num_items, bool)
    revenue, bought = 0.0, []

    def count(step: Step) -> None:
        nonlocal revenue
        active, info = step.active, step.info
        clicks[active & info["clicked"]] += 1
        purchases[active & info["purchased"]] += 1
        revenue += info["revenue"][active].sum()
        shown[step.actions[active]] = True
        bought.append(step.actions[active & info["purchased"]])
        if on_step is not None:
            on_step(step)

    returns, lengths = run_sessions(policy, env, obs, count)
    bought = np.concatenate(bought).astype(np.int64)
    return Sessions(returns, lengths, clicks, purchases, float(revenue), shown, bought)
