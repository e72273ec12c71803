"""Exploration: the epsilon schedule and epsilon-greedy action choice.

Each parallel shopper flips its *own* coin: with ``N`` shoppers, ``N`` independent
uniforms decide who explores. One shared coin would make all shoppers explore (or exploit)
together, a classic bug that correlates the data in the replay buffer.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LinearSchedule:
    """Epsilon that falls linearly from ``start`` to ``end`` over ``duration`` steps, then stays."""

    start: float = 1.0
    end: float = 0.05
    duration: int = 10_000

    def __call__(self, step: int) -> float:
        if step >= self.duration:
            return self.end
        fraction = max(step, 0) / max(self.duration, 1)
        return self.start + fraction * (self.end - self.start)


def epsilon_greedy(q_values: np.ndarray, epsilon: float, rng: np.random.Generator) -> np.ndarray:
    """Choose one action per row: random with probability ``epsilon``, else ``argmax`` of Q.

    Args:
        q_values: ``(num_envs, num_actions)`` action values.
        epsilon: exploration probability in ``[0, 1]``.
        rng: the NumPy generator that owns all of this run's exploration randomness.

    Returns:
        ``(num_envs,)`` int64 actions.
    """
    num_envs, num_actions = q_values.shape
    greedy = np.argmax(q_values, axis=1)  # (num_envs,)
    explore = rng.random(num_envs) < epsilon  # one coin per shopper, never one for all
    random_actions = rng.integers(0, num_actions, size=num_envs)  # (num_envs,)
    return np.where(explore, random_actions, greedy).astype(np.int64)
