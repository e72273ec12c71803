"""One session per shopper of the slate shop: ``slate_rollout`` (NumPy only).

The loop is ``dqrec.rollout.run_sessions`` (the active mask, written once); a slate policy's
``act(obs, env)`` returns ``(N, k)`` item ids instead of ``(N,)``. Like ``dqrec.rollout``,
``slate_rollout(policy, config, n, seed)`` shows every policy the same ``n`` shoppers
(counter-based randomness: common random numbers).
"""

from typing import NamedTuple

import numpy as np

from dqrec.rollout import Step, run_sessions
from dqrec.slates.config import SlateConfig
from dqrec.slates.vector import VecSlateEnv


class SlateSessions(NamedTuple):
    """The first session of each of ``N`` shoppers under one slate policy."""

    returns: np.ndarray  # (N,) float64 undiscounted return of each session
    lengths: np.ndarray  # (N,) int64 slates shown in each session
    clicks: np.ndarray  # (N,) int64 items chosen
    purchases: np.ndarray  # (N,) int64 purchases
    clickbait_shown: float  # share of shown slate positions that held a clickbait item


def slate_rollout(policy, config: SlateConfig, num_shoppers: int, seed: int, catalogue=None):
    """One session for each of ``num_shoppers`` shoppers of ``VecSlateEnv(seed=seed)``."""
    env = VecSlateEnv(config, num_envs=num_shoppers, seed=seed, catalogue=catalogue)
    obs, _ = env.reset(seed=seed)
    clicks = np.zeros(num_shoppers, np.int64)
    purchases = np.zeros(num_shoppers, np.int64)
    bait = [0, 0]

    def count(step: Step) -> None:
        active, info = step.active, step.info
        clicks[active & info["clicked"]] += 1
        purchases[active & info["purchased"]] += 1
        shown = step.actions[active]
        bait[0] += int(env.catalogue.is_clickbait[shown].sum())
        bait[1] += shown.size

    returns, lengths = run_sessions(policy, env, obs, count)
    return SlateSessions(returns, lengths, clicks, purchases, bait[0] / max(bait[1], 1))
