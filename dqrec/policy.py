"""What every policy and every learner offers: the acting and learning interfaces, declared once.

**Acting.** A ``Policy`` maps a batch of observations ``(N, obs_dim)`` to one action (an item
id) per row, ``(N,)`` integers in ``[0, num_actions)``. The baselines (``dqrec.baselines``),
the trained agents (``DQNAgent``, ``GreedyQPolicy``), the OPE policies
(``dqrec.ope_sim.SoftmaxPolicy``) and the calibration's browsing shopper
(``dqrec.calibrate.PopularitySamplingPolicy``) all satisfy it, and so does any object with
such an ``act`` method (Stable-Baselines3 exposes ``predict`` for the same purpose).
Two things that choose items are deliberately not policies in this sense:
``dqrec.tabular.greedy_policy`` returns a table (one action per state of a small MDP), and
``dqrec.serving.ExportedRecommender.recommend`` returns the top ``k`` items and their
Q-values for a batch of raw histories (item ids and feedback codes), as a shop's server calls it.

Why ``act`` takes the environment too: the myopic oracle (``OraclePolicy``) is not a
deployable policy but an upper bound, and it reads the shoppers' *hidden* state
(``env.expected_rewards()``), which no observation contains. Every other policy ignores
``env``; the rollout (``dqrec.rollout``) always passes it, and callers without an
environment pass ``None``.

**Learning.** A ``Learner`` makes gradient steps on a ``dqrec.replay.Batch`` with
``train_step(batch)``, and every learner reports the same ``StepStats``: the mean loss and
the mean Q-value of the taken actions, as Python floats (a training loop logs them, a test
compares them, neither needs to know which learner made the step).
"""

from typing import Any, Protocol, TypedDict, runtime_checkable

import numpy as np

__all__ = ["Learner", "Policy", "StepStats"]


@runtime_checkable
class Policy(Protocol):
    """Anything that recommends one item per observation row."""

    def act(self, obs: np.ndarray, env: Any = None) -> np.ndarray:
        """Actions ``(N,)`` (integer item ids) for observations ``(N, obs_dim)``; ``env`` is
        the vector environment the observations came from (only oracles read it) or ``None``."""
        ...


class StepStats(TypedDict):
    """What one call of ``train_step`` (or ``DQNAgent.train_steps``) reports."""

    loss: float  # mean Huber TD loss of the batch (averaged over the steps of the call)
    mean_q: float  # mean Q(s, a) of the taken actions, before the update


@runtime_checkable
class Learner(Protocol):
    """Anything that makes a DQN gradient step on a replayed batch."""

    def train_step(self, batch: Any) -> StepStats:
        """One gradient step on a ``dqrec.replay.Batch`` (leading dimension ``batch_size``)."""
        ...
