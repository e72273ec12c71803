"""Experience replay: a preallocated ring buffer of transitions (Lin 1992; Mnih et al. 2015).

All memory is allocated once, as NumPy arrays of shape ``(capacity, ...)``. A write
position wraps around; ``full`` says whether every slot holds data. Sampling draws
uniformly with a ``numpy.random.Generator`` passed in by the caller, never the global
``np.random``, so a run is reproducible from its seed.

``terminated`` and ``truncated`` are stored separately: only ``terminated`` stops
bootstrapping (see ``dqrec.targets``); ``truncated`` is kept for diagnostics.
"""

from typing import NamedTuple

import numpy as np


class Batch(NamedTuple):
    """A sampled mini-batch; every field has leading dimension ``batch_size``."""

    obs: np.ndarray  # (batch, obs_dim) float32
    actions: np.ndarray  # (batch,) int32
    rewards: np.ndarray  # (batch,) float32
    next_obs: np.ndarray  # (batch, obs_dim) float32
    terminated: np.ndarray  # (batch,) float32, 1.0 where s' is terminal
    truncated: np.ndarray  # (batch,) float32, 1.0 where the episode was cut off at s'
    discounts: np.ndarray | None = None  # (batch,) gamma^k of n-step transitions; None: gamma


_FIELDS = Batch._fields


class ReplayBuffer:
    """Fixed-capacity FIFO memory of transitions with uniform sampling."""

    def __init__(self, capacity: int, obs_dim: int):
        if capacity < 1:
            raise ValueError(f"ReplayBuffer capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.actions = np.zeros(capacity, np.int32)
        self.rewards = np.zeros(capacity, np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.terminated = np.zeros(capacity, np.float32)
        self.truncated = np.zeros(capacity, np.float32)
        self.discounts = np.zeros(capacity, np.float32)
        self.pos = 0
        self.full = False

    def __len__(self) -> int:
        return self.capacity if self.full else self.pos

    def add(self, obs, actions, rewards, next_obs, terminated, truncated, discounts) -> None:
        """Store a batch of ``n`` transitions (each argument has leading dimension ``n``);
        ``discounts`` is what multiplies the bootstrap term: gamma, or gamma^k for n-step."""
        n = len(actions)
        idx = (self.pos + np.arange(n)) % self.capacity  # (n,) slots, wrapping around
        self.obs[idx] = obs
        self.actions[idx] = actions
        self.rewards[idx] = rewards
        self.next_obs[idx] = next_obs
        self.terminated[idx] = terminated
        self.truncated[idx] = truncated
        self.discounts[idx] = discounts
        self.full = self.full or self.pos + n >= self.capacity
        self.pos = (self.pos + n) % self.capacity

    def sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """Draw ``batch_size`` stored transitions uniformly, with replacement."""
        if len(self) == 0:
            raise ValueError("cannot sample from an empty ReplayBuffer")
        idx = rng.integers(0, len(self), size=batch_size)  # (batch,)
        return Batch(*(getattr(self, name)[idx] for name in _FIELDS))

    def state_dict(self) -> dict:
        """Everything needed to restore the buffer exactly (for checkpoints)."""
        state = {name: getattr(self, name)[: len(self)] for name in _FIELDS}
        state.update(pos=np.int64(self.pos), full=np.bool_(self.full))
        return state

    def load_state_dict(self, state: dict) -> None:
        size = len(state["actions"])
        if size > self.capacity:
            raise ValueError(f"checkpointed buffer holds {size} > capacity {self.capacity}")
        for name in _FIELDS:
            getattr(self, name)[:size] = state[name]
        self.pos = int(state["pos"])
        self.full = bool(state["full"])

    def sample_many(self, num_steps: int, batch_size: int, rng: np.random.Generator) -> Batch:
        """``num_steps`` independent batches at once: fields of shape ``(num_steps, batch, ...)``."""
        if len(self) == 0:
            raise ValueError("cannot sample from an empty ReplayBuffer")
        idx = rng.integers(0, len(self), size=(num_steps, batch_size))
        return Batch(*(getattr(self, name)[idx] for name in _FIELDS))
