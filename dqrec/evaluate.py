"""Online evaluation: run a policy on a fixed set of evaluation shoppers and measure it.

Each of ``num_shoppers`` shoppers of ``VecShopEnv(seed=seed)`` plays exactly one session
(``dqrec.rollout.rollout``). Because the simulator's randomness is counter-based, the same
shoppers (same preferences, same patience, same coin flips at each step) face every policy
evaluated with the same seed: comparisons between policies use common random numbers and
are much less noisy.

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

from dqrec.metrics import mean_ci
from dqrec.policy import Policy
from dqrec.rollout import rollout, run_sessions
from dqrec.seeds import EVAL_SEED


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


def evaluate_policy(
    policy: Policy, shop_config, num_shoppers=500, seed=EVAL_SEED, catalogue=None
) -> EvalResult:
    """One session for each of ``num_shoppers`` evaluation shoppers, acting greedily.

    ``catalogue`` replaces the one built from ``shop_config`` (e.g. a calibrated one).
    Returns an ``EvalResult``.
    """
    sessions = rollout(policy, shop_config, num_shoppers, seed, catalogue)
    clicks, purchases = sessions.clicks.sum(), sessions.purchases.sum()
    mean, half_width = mean_ci(sessions.returns)
    return EvalResult(
        mean_return=float(mean),
        return_ci=float(half_width),
        ctr=float(clicks / sessions.lengths.sum()),
        conversion=float(purchases / max(clicks, 1)),
        revenue=float(sessions.revenue / num_shoppers),
        session_length=float(sessions.lengths.mean()),
        coverage=float(sessions.shown.mean()),
        num_sessions=num_shoppers,
    )


class _GymPolicy:
    """Hands a policy float32 observations and no environment (a Gymnasium env has no hidden
    state API for oracles)."""

    def __init__(self, policy: Policy):
        self.policy = policy

    def act(self, obs, env=None):
        return self.policy.act(np.asarray(obs, np.float32), None)


def evaluate_gym_policy(policy: Policy, env_id, num_episodes=100, seed=EVAL_SEED) -> EvalResult:
    """Greedy episodes of a Gymnasium environment, episode k reset with seed ``seed + k``."""
    env = gymnasium.make_vec(
        env_id,
        num_envs=num_episodes,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": gymnasium.vector.AutoresetMode.SAME_STEP},
    )
    obs, _ = env.reset(seed=[seed + k for k in range(num_episodes)])
    returns, lengths = run_sessions(_GymPolicy(policy), env, obs)
    env.close()
    mean, half_width = mean_ci(returns)
    nan = float("nan")
    return EvalResult(
        float(mean), float(half_width), nan, nan, nan, float(lengths.mean()), nan, num_episodes
    )
