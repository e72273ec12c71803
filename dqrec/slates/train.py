"""Training a ``SlateQAgent`` on ``VecSlateEnv``: collect with epsilon-greedy slates, replay, learn.

    for every env step (num_envs shoppers at once):
        slates = best slates under the agent's models, a random slate with probability epsilon
        obs', r, terminated, truncated, info = env.step(slates)
        store (s, A, chosen position and item, r, s', terminated) once A' (the next slate) is
        known: the slate shown at the next step, or, for a finished session, the greedy slate
        at its final observation
        every train_every env steps: gradient_steps updates on replayed batches

``train_slateq`` returns the agent and its history (losses). Evaluate with
``dqrec.slates.rollout.slate_rollout`` on the benchmark seed.
"""

from dataclasses import dataclass, field

import numpy as np

from dqrec.exploration import LinearSchedule
from dqrec.slates.baselines import RandomSlatePolicy
from dqrec.slates.slateq import SlateQAgent, SlateQConfig, SlateReplay
from dqrec.slates.vector import VecSlateEnv


@dataclass
class SlateHistory:
    agent: SlateQAgent
    steps: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    choice_losses: list = field(default_factory=list)


def train_slateq(
    slate_config,
    agent_config: SlateQConfig | None = None,
    seed: int = 0,
    total_steps: int = 60_000,
    num_envs: int = 32,
    learning_starts: int = 2_000,
    train_every: int = 64,
    gradient_steps: int = 2,
    replay_capacity: int = 50_000,
    epsilon_start: float = 1.0,
    epsilon_end: float = 0.05,
    epsilon_decay_steps: int = 30_000,
) -> SlateHistory:
    """Train SlateQ (or, with ``gamma = 0``, the learned myopic slate) for ``total_steps``."""
    counts = {
        "total_steps": (total_steps, 1),
        "num_envs": (num_envs, 1),
        "learning_starts": (learning_starts, 0),
        "train_every": (train_every, 1),
        "gradient_steps": (gradient_steps, 0),
        "replay_capacity": (replay_capacity, 1),
        "epsilon_decay_steps": (epsilon_decay_steps, 0),
        "seed": (seed, 0),
    }
    for name, (value, low) in counts.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"train_slateq: {name} must be an int >= {low}, got {value!r}")
    for name, value in (("epsilon_start", epsilon_start), ("epsilon_end", epsilon_end)):
        if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
            raise ValueError(f"train_slateq: {name} must be a number in [0, 1], got {value!r}")
    agent = SlateQAgent(slate_config, agent_config, seed)
    env = VecSlateEnv(slate_config, num_envs, seed)
    shop, k = slate_config.shop, slate_config.slate_size
    replay = SlateReplay(replay_capacity, shop.obs_dim, k)
    rng = np.random.default_rng(seed)
    explore = RandomSlatePolicy(shop.num_items, k, seed + 1)
    schedule = LinearSchedule(epsilon_start, epsilon_end, epsilon_decay_steps)
    history = SlateHistory(agent)
    obs, _ = env.reset(seed=seed)
    pending, pending_final = None, None  # last step's transitions, waiting for the next slate
    env_steps = 0
    while env_steps < total_steps:
        greedy = agent.act(obs)
        coins = rng.random(num_envs) < schedule(env_steps)
        slates = np.where(coins[:, None], explore.act(obs), greedy)
        if pending is not None:  # last step's transitions: their next slate is known now
            done_before = pending.pop("done")
            next_slates = np.where(done_before[:, None], pending_final, slates)
            replay.add(**pending, next_slates=next_slates)
        next_obs, rewards, terminated, truncated, info = env.step(slates)
        done = terminated | truncated
        pending = {
            "obs": obs,
            "slates": slates,
            "positions": info["position"],
            "chosen": np.maximum(info["chosen"], 0),
            "rewards": rewards.astype(np.float64),
            "next_obs": info["final_obs"],
            "terminated": terminated.astype(np.float64),
            "done": done,
        }
        # a finished session's next slate is the greedy one at its final observation
        pending_final = agent.act(info["final_obs"]) if done.any() else slates
        obs = next_obs
        before, env_steps = env_steps, env_steps + num_envs
        if env_steps >= learning_starts and len(replay) >= agent.config.batch_size:
            for _ in range(env_steps // train_every - before // train_every):
                for _ in range(gradient_steps):
                    stats = agent.train_step(replay.sample(agent.config.batch_size, rng))
                history.steps.append(env_steps)
                history.losses.append(stats["loss"])
                history.choice_losses.append(stats["choice_loss"])
    return history
