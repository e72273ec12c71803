"""Tabular Q-learning on a tiny shop: the update rule, exact Q* and a learning loop.

Everything here is NumPy and small enough to check by hand. A Q-table ``q`` has shape
``(num_states, num_actions)``; ``q[s, a]`` estimates the expected discounted return of
recommending ``a`` to a shopper in mood ``s`` and acting greedily afterwards.

The textbook update (Watkins and Dayan 1992; Sutton and Barto 2018, section 6.5) is

    y     = r + gamma * (1 - terminated) * max_a' Q(s', a')      (TD target)
    delta = y - Q(s, a)                                          (TD error)
    Q(s, a) <- Q(s, a) + alpha * delta

and the exact optimal table ``Q*`` solves the Bellman optimality equation

    Q*(s, a) = R(s, a) + gamma * sum_s' P(s' | s, a) * (1 - terminal[s']) * max_a' Q*(s', a')

which value iteration finds by applying the right-hand side until nothing changes.
"""

from typing import NamedTuple

import numpy as np


class TabularMDP(NamedTuple):
    """A finite Markov decision process stored as arrays."""

    transitions: np.ndarray  # (num_states, num_actions, num_states) P(s' | s, a)
    rewards: np.ndarray  # (num_states, num_actions) expected immediate reward R(s, a)
    terminal: np.ndarray  # (num_states,) bool: True where the episode ends on arrival
    start_probs: np.ndarray  # (num_states,) distribution of the first state of an episode
    gamma: float  # default discount factor
    state_names: tuple[str, ...]
    action_names: tuple[str, ...]


def tiny_shop_mdp(gamma: float = 0.9) -> TabularMDP:
    """Return a four-mood shopper with three kinds of recommendation.

    States (the shopper's mood): ``browsing``, ``interested``, ``annoyed`` and ``left``
    (terminal). Actions: recommend a ``bestseller``, a ``niche-match`` (an item that fits
    this shopper) or ``clickbait``. Clickbait pays the most right now in every mood, but it
    drives the shopper to ``annoyed`` or out of the shop; a niche match pays less now and
    keeps the shopper ``interested``. A greedy (gamma = 0) recommender therefore always
    shows clickbait, while a far-sighted one does not: the myopic trap in miniature.
    Rewards are deterministic given ``(s, a)``; the randomness is in the mood transitions.
    """
    #   next mood:    browsing interested annoyed left
    transitions = np.array(
        [
            [  # from browsing
                [0.60, 0.20, 0.10, 0.10],  # bestseller
                [0.30, 0.50, 0.05, 0.15],  # niche-match
                [0.20, 0.00, 0.50, 0.30],  # clickbait
            ],
            [  # from interested
                [0.30, 0.50, 0.10, 0.10],  # bestseller
                [0.10, 0.80, 0.00, 0.10],  # niche-match
                [0.10, 0.10, 0.50, 0.30],  # clickbait
            ],
            [  # from annoyed
                [0.30, 0.00, 0.40, 0.30],  # bestseller
                [0.20, 0.20, 0.30, 0.30],  # niche-match
                [0.00, 0.00, 0.30, 0.70],  # clickbait
            ],
            [  # from left (absorbing; never used, the episode has ended)
                [0.00, 0.00, 0.00, 1.00],
                [0.00, 0.00, 0.00, 1.00],
                [0.00, 0.00, 0.00, 1.00],
            ],
        ]
    )
    #                     bestseller niche-match clickbait
    rewards = np.array(
        [
            [1.0, 0.8, 2.0],  # browsing
            [1.5, 2.5, 3.0],  # interested
            [0.5, 0.5, 1.0],  # annoyed
            [0.0, 0.0, 0.0],  # left
        ]
    )
    return TabularMDP(
        transitions=transitions,
        rewards=rewards,
        terminal=np.array([False, False, False, True]),
        start_probs=np.array([0.5, 0.3, 0.2, 0.0]),
        gamma=gamma,
        state_names=("browsing", "interested", "annoyed", "left"),
        action_names=("bestseller", "niche-match", "clickbait"),
    )


def td_target(q: np.ndarray, r: float, s_next: int, terminated: bool, gamma: float) -> float:
    """Return the TD target ``y = r + gamma * (1 - terminated) * max_a' Q(s', a')``."""
    # bootstrap only when the episode did not truly terminate (truncation still bootstraps)
    return float(r + gamma * (1.0 - float(terminated)) * np.max(q[s_next]))


def q_learning_update(
    q: np.ndarray,
    s: int,
    a: int,
    r: float,
    s_next: int,
    terminated: bool,
    alpha: float,
    gamma: float,
) -> np.ndarray:
    """Return a new Q-table after one Q-learning step; ``q`` itself is left unchanged.

    ``Q(s, a) <- Q(s, a) + alpha * [r + gamma * (1 - terminated) * max_a' Q(s', a') - Q(s, a)]``

    Args:
        q: ``(num_states, num_actions)`` current table.
        s, a, r, s_next: the transition: state, action, reward, next state.
        terminated: True if ``s_next`` ends the episode for real (not a step cap).
        alpha: step size (learning rate) in ``(0, 1]``.
        gamma: discount factor in ``[0, 1]``.
    """
    target = td_target(q, r, s_next, terminated, gamma)
    td_error = target - q[s, a]
    new_q = q.copy()
    new_q[s, a] = q[s, a] + alpha * td_error
    return new_q


def bellman_backup(mdp: TabularMDP, q: np.ndarray, gamma: float) -> np.ndarray:
    """Apply the Bellman optimality operator once: ``R + gamma * P @ ((1 - terminal) * max Q)``."""
    next_value = np.where(mdp.terminal, 0.0, np.max(q, axis=1))  # (num_states,)
    return mdp.rewards + gamma * mdp.transitions @ next_value  # (num_states, num_actions)


def value_iteration(
    mdp: TabularMDP, gamma: float | None = None, tol: float = 1e-10, max_iterations: int = 10_000
) -> np.ndarray:
    """Return the exact optimal table ``Q*`` by repeating the Bellman backup until it settles.

    The backup is a ``gamma``-contraction, so the iterates converge to the unique fixed point
    for ``gamma < 1`` (and for ``gamma = 1`` here too, since every mood can lead to ``left``).
    """
    gamma = mdp.gamma if gamma is None else gamma
    q = np.zeros_like(mdp.rewards, dtype=np.float64)
    for _ in range(max_iterations):
        new_q = bellman_backup(mdp, q, gamma)
        if np.max(np.abs(new_q - q)) < tol:
            return new_q
        q = new_q
    raise RuntimeError(f"value iteration did not converge in {max_iterations} iterations")


def greedy_policy(q: np.ndarray) -> np.ndarray:
    """Return ``argmax_a Q(s, a)`` for every state, shape ``(num_states,)`` (ties: lowest a)."""
    return np.argmax(q, axis=1)


def sample_step(
    mdp: TabularMDP, s: int, a: int, rng: np.random.Generator
) -> tuple[int, float, bool]:
    """Sample one transition: return ``(s_next, r, terminated)``."""
    s_next = int(rng.choice(len(mdp.state_names), p=mdp.transitions[s, a]))
    return s_next, float(mdp.rewards[s, a]), bool(mdp.terminal[s_next])


def tabular_q_learning(
    mdp: TabularMDP,
    num_episodes: int,
    alpha: float = 0.1,
    gamma: float | None = None,
    epsilon: float = 0.2,
    seed: int = 0,
    max_steps: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Learn ``Q`` from sampled episodes with epsilon-greedy exploration.

    Each episode starts from ``mdp.start_probs`` and ends when the shopper leaves
    (terminated) or after ``max_steps`` steps (truncated: the last update still bootstraps).

    Returns:
        ``(q, history)``: the learned ``(num_states, num_actions)`` table and, for every
        episode, the error ``max |Q - Q*|`` after it, shape ``(num_episodes,)``.
    """
    gamma = mdp.gamma if gamma is None else gamma
    rng = np.random.default_rng(seed)
    q_star = value_iteration(mdp, gamma)
    num_states, num_actions = mdp.rewards.shape
    q = np.zeros((num_states, num_actions))
    history = np.empty(num_episodes)
    for episode in range(num_episodes):
        s = int(rng.choice(num_states, p=mdp.start_probs))
        for _ in range(max_steps):
            if rng.random() < epsilon:
                a = int(rng.integers(num_actions))  # explore
            else:
                a = int(np.argmax(q[s]))  # exploit
            s_next, r, terminated = sample_step(mdp, s, a, rng)
            q = q_learning_update(q, s, a, r, s_next, terminated, alpha, gamma)
            if terminated:
                break
            s = s_next
        history[episode] = np.max(np.abs(q - q_star))
    return q, history
