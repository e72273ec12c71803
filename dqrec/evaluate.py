"""Online evaluation: run a policy on a fixed set of evaluation shoppers and measure it.

Each of ``num_shoppers`` shoppers of ``VecShopEnv(seed=seed)`` plays exactly one session.
Because the simulator's randomness is counter-based, the same shoppers (same preferences,
same patience, same coin flips at each step) face every policy evaluated with the same seed:
comparisons between policies use common random numbers and are much less noisy.

Metrics per evaluation (``EvalResult``):
    mean_return     (1/S) sum_s G_s, with G_s the undiscounted return of session s
    return_ci       half-width of its 95% Student-t confidence interval over shoppers
    ctr             clicks / recommendations
    conversion      purchases / clicks
    revenue         mean revenue per session
    session_length  mean recommendations per session
    coverage        distinct items recommended / num_items
"""

from dataclasses import asdict, dataclass

import gymnasium
import numpy as np

from dqrec.envs import VecShopEnv
from dqrec.metrics import mean_ci


@dataclass(frozen=True)
class EvalResult:
    """Online metrics of one policy on one set of evaluation shoppers."""

    mean_return: float
    return_ci: float
    ctr: float
    conversion: float
    revenue: float
    session_length: float
    coverage: float
    num_sessions: int

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate_policy(policy, shop_config, num_shoppers=500, seed=1_000_003, catalogue=None):
    """One session for each of ``num_shoppers`` evaluation shoppers, acting greedily.

    ``catalogue`` replaces the one built from ``shop_config`` (e.g. a calibrated one).
    Returns an ``EvalResult``.
    """
    env = VecShopEnv(shop_config, num_envs=num_shoppers, seed=seed, catalogue=catalogue)
    obs, _ = env.reset(seed=seed)
    active = np.ones(num_shoppers, bool)  # still in their first (evaluated) session
    returns = np.zeros(num_shoppers)
    lengths = np.zeros(num_shoppers)
    clicks = purchases = revenue = 0.0
    shown = np.zeros(shop_config.num_items, bool)
    while active.any():
        actions = np.asarray(policy.act(obs, env))  # (num_shoppers,)
        obs, rewards, terminated, truncated, info = env.step(actions)
        returns += np.where(active, rewards, 0.0)
        lengths += active
        clicks += info["clicked"][active].sum()
        purchases += info["purchased"][active].sum()
        revenue += info["revenue"][active].sum()
        shown[actions[active]] = True
        active &= ~(terminated | truncated)  # rows autoreset to new shoppers are not counted
    mean, half_width = mean_ci(returns)
    return EvalResult(
        mean_return=float(mean),
        return_ci=float(half_width),
        ctr=float(clicks / lengths.sum()),
        conversion=float(purchases / max(clicks, 1.0)),
        revenue=float(revenue / num_shoppers),
        session_length=float(lengths.mean()),
        coverage=float(shown.mean()),
        num_sessions=num_shoppers,
    )


def evaluate_gym_policy(policy, env_id, num_episodes=100, seed=1_000_003) -> EvalResult:
    """Greedy episodes of a Gymnasium environment, episode k reset with seed ``seed + k``."""
    env = gymnasium.make_vec(
        env_id,
        num_envs=num_episodes,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": gymnasium.vector.AutoresetMode.SAME_STEP},
    )
    obs, _ = env.reset(seed=[seed + k for k in range(num_episodes)])
    active = np.ones(num_episodes, bool)
    returns = np.zeros(num_episodes)
    lengths = np.zeros(num_episodes)
    while active.any():
        actions = np.asarray(policy.act(np.asarray(obs, np.float32), None))
        obs, rewards, terminated, truncated, _ = env.step(actions)
        returns += np.where(active, rewards, 0.0)
        lengths += active
        active &= ~(terminated | truncated)
    env.close()
    mean, half_width = mean_ci(returns)
    nan = float("nan")
    return EvalResult(
        float(mean), float(half_width), nan, nan, nan, float(lengths.mean()), nan, num_episodes
    )
