"""n-step returns for parallel environments (Sutton & Barto 2018, ch. 7; Hessel et al. 2018).

A one-step target ``r + gamma max Q(s', .)`` learns about a consequence ``k`` steps away
only after ``k`` rounds of bootstrapping. An n-step transition carries the next ``n``
rewards at once:

    R = r_t + gamma r_{t+1} + ... + gamma^{k-1} r_{t+k-1},    discount = gamma^k

where ``k = n``, or fewer when the session ends inside the window (then ``s_{t+k}`` is the
session's last observation and ``terminated`` is that step's flag: a truncated session
still bootstraps from its last state). The TD target is then
``R + discount * (1 - terminated) * Q_target(s_{t+k}, a*)``: the same ``td_targets`` with a
per-transition discount. With ``n = 1`` this is exactly the one-step transition.

All ``num_envs`` environments step together, so the window is a ring of the last ``n``
steps of every environment, ``(n, num_envs, ...)``; no Python loop over environments.
"""

import numpy as np


class NStepWindow:
    """Collects one-step transitions of ``num_envs`` envs and emits n-step ones."""

    def __init__(self, n, gamma, num_envs, obs_dim):
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.n, self.gamma = n, gamma
        self.obs = np.zeros((n, num_envs, obs_dim), np.float32)
        self.actions = np.zeros((n, num_envs), np.int64)
        self.rewards = np.zeros((n, num_envs), np.float32)
        self.next_obs = np.zeros((n, num_envs, obs_dim), np.float32)
        self.terminated = np.zeros((n, num_envs), bool)
        self.done = np.zeros((n, num_envs), bool)
        self.count = 0  # one-step transitions pushed so far (the newest is at count - 1 mod n)

    def push(self, obs, actions, rewards, next_obs, terminated, truncated):
        """Add one step of every env; return the n-step transitions that are now complete
        (a tuple ``(obs, actions, returns, next_obs, terminated, truncated, discounts)``,
        each with leading dim ``num_envs``) or ``None`` while the window is filling."""
        slot = self.count % self.n
        self.obs[slot], self.actions[slot], self.rewards[slot] = obs, actions, rewards
        self.next_obs[slot], self.terminated[slot] = next_obs, terminated
        self.done[slot] = terminated | truncated
        self.count += 1
        if self.count < self.n:
            return None
        oldest = self.count % self.n  # the step that now has n steps after it (itself included)
        num_envs = len(actions)
        returns = np.zeros(num_envs, np.float32)
        discounts = np.ones(num_envs, np.float32)
        last = np.full(num_envs, (oldest + self.n - 1) % self.n)  # window slot that ends each
        open_ = np.ones(num_envs, bool)  # the session is still going inside the window
        for k in range(self.n):
            s = (oldest + k) % self.n
            returns += np.where(open_, discounts * self.rewards[s], 0.0)
            discounts = np.where(open_, discounts * self.gamma, discounts)
            last = np.where(open_ & self.done[s], s, last)
            open_ &= ~self.done[s]  # never mix in the next shopper's rewards
        rows = np.arange(num_envs)
        return (
            self.obs[oldest].copy(),
            self.actions[oldest].copy(),
            returns,
            self.next_obs[last, rows],
            self.terminated[last, rows],
            self.done[last, rows] & ~self.terminated[last, rows],
            discounts,
        )

    def state_dict(self) -> dict:
        names = ("obs", "actions", "rewards", "next_obs", "terminated", "done")
        return {**{k: getattr(self, k).copy() for k in names}, "count": np.int64(self.count)}

    def load_state_dict(self, state: dict) -> None:
        for name in ("obs", "actions", "rewards", "next_obs", "terminated", "done"):
            getattr(self, name)[...] = state[name]
        self.count = int(state["count"])
