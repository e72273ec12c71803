"""Benchmark the shop simulator: speed, and what long-term effects are worth.

Run: ``python benchmarks/bench_env.py`` (about a minute on two CPU cores). Prints one JSON
line per measurement:
- ``env_steps_per_second``: shopper-steps per second of ``VecShopEnv`` under random actions;
- ``policy_return``: mean return per session (with a 95% confidence interval) of hand-written
  policies, with long-term effects on and off:
  ``random``; ``myopic_oracle`` (argmax of ``env.expected_rewards()``: sees the hidden state,
  maximises the immediate expected reward); ``patience_oracle`` (also sees the hidden state
  and adds ``PATIENCE_VALUE`` times the expected change of patience, a one-step lookahead);
  ``history_heuristic`` (sees only the observation and the public catalogue: estimates the
  preference from the items clicked and skipped in the history, then scores like
  ``patience_oracle``). The tuning goal: with long-term effects ``patience_oracle`` beats
  ``myopic_oracle`` by far and ``history_heuristic`` beats it too; without them
  ``myopic_oracle`` is best.
"""

import argparse
import dataclasses
import json
import time

import numpy as np

from dqrec.envs import ShopConfig, VecShopEnv, split_observation
from dqrec.rollout import rollout

PATIENCE_VALUE = 2.0  # reward one unit of patience is worth, roughly reward/step over drain/step


def steps_per_second(config: ShopConfig, num_envs: int, num_steps: int) -> float:
    env = VecShopEnv(config, num_envs, seed=0)
    env.reset()
    actions = np.random.default_rng(0).integers(0, config.num_items, size=(num_steps, num_envs))
    for step_actions in actions[:10]:  # warm up
        env.step(step_actions)
    start = time.perf_counter()
    for step_actions in actions:
        env.step(step_actions)
    return num_steps * num_envs / (time.perf_counter() - start)


def _scores(env):
    """Expected reward plus PATIENCE_VALUE times the expected patience change, (N, num_items),
    by the simulator's own click model applied to ``env``'s hidden state."""
    cfg, cat = env.config, env.catalogue
    p_click, _ = env.click_purchase_probabilities()  # (N, num_items)
    patience = p_click * cfg.satisfaction_weight * cat.satisfaction - (1 - p_click) * cfg.skip_cost
    return env.expected_rewards() + PATIENCE_VALUE * patience


def random_policy(obs, env, gen):
    return gen.integers(0, env.config.num_items, size=env.num_envs)


def myopic_oracle(obs, env, gen):
    return env.expected_rewards().argmax(axis=1)


def patience_oracle(obs, env, gen):
    return _scores(env).argmax(axis=1)


def history_heuristic(obs, env, gen):
    cfg, cat = env.config, env.catalogue
    h = cfg.history_len
    item_ids, feedback, _ = split_observation(obs, h)  # (N, H) each
    latent = np.vstack([cat.latent, np.zeros((1, cfg.latent_dim))])  # padding id -> zero vector
    weight = np.where(feedback >= 2, 1.0, np.where(feedback == 1, -0.3, 0.0))  # click / skip
    guess = np.einsum("nh,nhd->nd", weight, latent[item_ids])  # (N, latent_dim)
    norm = np.linalg.norm(guess, axis=1, keepdims=True)
    guess = guess / np.maximum(norm, 1e-9)
    # fatigue rebuilt from the shown categories (exact while the session is shorter than H)
    category = np.append(cat.category, cfg.num_categories)[item_ids]  # (N, H); padding -> extra
    decay = cfg.fatigue_decay ** np.arange(h - 1, -1, -1)  # newest item has decayed least
    fatigue = np.zeros((env.num_envs, cfg.num_categories + 1))
    np.add.at(fatigue, (np.arange(env.num_envs)[:, None], category), decay)
    if not cfg.long_term_effects:  # the simulator keeps no fatigue then
        fatigue[:] = 0.0
    # a copy of the shop whose hidden state is the guess: the simulator's click model scores it
    state = env.get_state()
    state["preference"], state["fatigue"] = guess, fatigue[:, :-1]
    guessed = VecShopEnv(cfg, env.num_envs, catalogue=cat)
    guessed.set_state(state)
    return _scores(guessed).argmax(axis=1)


class _BenchPolicy:
    """A policy function ``policy(obs, env, gen)`` of this script as a ``dqrec.policy.Policy``."""

    def __init__(self, policy, gen):
        self.policy, self.gen = policy, gen

    def act(self, obs, env=None):
        return self.policy(obs, env, self.gen)


def session_returns(config: ShopConfig, policy, num_shoppers: int, seed: int) -> np.ndarray:
    """Return of the first session of each of ``num_shoppers`` shoppers."""
    wrapped = _BenchPolicy(policy, np.random.default_rng(seed))
    return rollout(wrapped, config, num_shoppers, seed).returns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-shoppers", type=int, default=2000)
    parser.add_argument("--num-steps", type=int, default=300)
    args = parser.parse_args()
    config = ShopConfig()
    for num_envs in (1, 64, 1024, 4096):
        num_steps = args.num_steps if num_envs > 1 else 10 * args.num_steps
        value = steps_per_second(config, num_envs, num_steps)
        print(
            json.dumps(
                {"bench": "env_steps_per_second", "num_envs": num_envs, "value": round(value)}
            )
        )
    policies = {
        "random": random_policy,
        "myopic_oracle": myopic_oracle,
        "patience_oracle": patience_oracle,
        "history_heuristic": history_heuristic,
    }
    for long_term_effects in (True, False):
        shop = dataclasses.replace(config, long_term_effects=long_term_effects)
        for name, policy in policies.items():
            returns = session_returns(shop, policy, args.num_shoppers, seed=12345)
            half_width = 1.96 * returns.std(ddof=1) / np.sqrt(len(returns))
            record = {
                "bench": "policy_return",
                "policy": name,
                "long_term_effects": long_term_effects,
                "num_shoppers": len(returns),
                "mean": round(float(returns.mean()), 3),
                "ci95": round(float(half_width), 3),
            }
            print(json.dumps(record))


if __name__ == "__main__":
    main()
