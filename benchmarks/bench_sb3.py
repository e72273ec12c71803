"""dqrec's DQN (TensorFlow) side by side with Stable-Baselines3's DQN (PyTorch).

    python benchmarks/bench_sb3.py --task cartpole > benchmarks/results/sb3_cartpole.jsonl
    python benchmarks/bench_sb3.py --task shop > benchmarks/results/sb3_shop.jsonl

Needs the benchmark venv (``benchmarks/requirements.txt``: torch, stable-baselines3). Runs
alternate (dqrec seed 0, sb3 seed 0, dqrec seed 1, ...) so that a change in the machine's
load hits both implementations alike. Both see the same number of environment steps and are
measured by the same evaluator: the SB3 model is wrapped in an object with ``act(obs, env)``
(``model.predict(obs, deterministic=True)``) and handed to dqrec's ``evaluate_gym_policy``
(CartPole: 100 greedy episodes, episode k reset with seed ``EVAL_SEED + k``) or
``evaluate_policy`` (shop: ``SHOP_EVAL_SHOPPERS`` fixed evaluation shoppers).

Tasks:
- ``cartpole``: CartPole-v1. SB3 gets rl-baselines3-zoo's tuned DQN hyperparameters
  (``SB3_CARTPOLE``); dqrec gets ``dqrec_cartpole_config``. 50,000 steps each.
- ``shop``: the default shop. SB3 consumes ``gymnasium.make("dqrec/Shop-v0")`` through
  ``make_vec_env`` (as many copies as dqrec's ``num_envs``) and its ``MlpPolicy`` reads the
  flat float32 observation as it is: item ids (0..num_items) and feedback codes (0..3) as
  plain floats, then the session features. No one-hot encoding, no embedding: that is what
  an off-the-shelf MLP policy sees. SB3's hyperparameters copy dqrec's default
  ``TrainConfig`` wherever SB3 has the same knob (``sb3_shop_kwargs``).

Timing. ``train_seconds`` runs from building the model (SB3: ``DQN(...)``; dqrec: the call
to ``train``, which includes XLA compilation) to the last environment step, *minus* the time
spent in the periodic evaluations, which run every ``--eval-every`` steps from a callback
(SB3: a ``BaseCallback``; dqrec: ``train(..., callback=...)``) while the clock is paused.
``eval_seconds`` reports that time apart. ``time_to_threshold_s`` is the training time at
the first evaluation whose mean return reaches the threshold (CartPole: 475; shop: the final
mean return of the SB3 run with the same seed, see the summary lines).

Output: one ``machine`` line (versions, CPU, load, date), one ``run`` line per
(implementation, seed) with its evaluation curve, and one ``summary`` line per implementation
(mean over seeds with a 95% Student-t CI, ``dqrec.metrics.mean_ci``).
"""

import os

THREADS = 2  # pinned for every library, before any of them starts its thread pools
os.environ["OMP_NUM_THREADS"] = str(THREADS)
os.environ["MKL_NUM_THREADS"] = str(THREADS)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from machine import machine_info as common_machine_info  # noqa: E402

from dqrec.seeds import EVAL_SEED  # noqa: E402  (evaluation episodes / shoppers, disjoint from training)

CARTPOLE_STEPS = 50_000
CARTPOLE_THRESHOLD = 475.0  # CartPole-v1's "solved" return
CARTPOLE_EPISODES = 100
SHOP_EVAL_SHOPPERS = 1000

# rl-baselines3-zoo hyperparams/dqn.yml, CartPole-v1 ("Almost Tuned"; n_timesteps 5e4).
SB3_CARTPOLE = dict(
    learning_rate=2.3e-3,
    batch_size=64,
    buffer_size=100_000,
    learning_starts=1000,
    gamma=0.99,
    target_update_interval=10,
    train_freq=256,
    gradient_steps=128,
    exploration_fraction=0.16,
    exploration_final_eps=0.04,
    policy_kwargs=dict(net_arch=[256, 256]),
)


def pin_threads():
    import tensorflow as tf
    import torch

    torch.set_num_threads(THREADS)
    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)


def machine_info() -> dict:
    import gymnasium
    import keras
    import stable_baselines3
    import tensorflow as tf
    import torch

    return common_machine_info(
        threads=THREADS,
        tensorflow=tf.__version__,
        keras=keras.__version__,
        torch=torch.__version__,
        stable_baselines3=stable_baselines3.__version__,
        gymnasium=gymnasium.__version__,
    )


# ---- the two implementations' configurations ------------------------------------------------
def dqrec_cartpole_config(seed, total_steps=CARTPOLE_STEPS):
    """dqrec on CartPole-v1: the zoo's network, batch, discount and exploration.

    Differences, chosen by a short tuning on seed 0 (lr 2.3e-3 with 1-step targets reached
    500 and then collapsed): lr 1e-3, 3-step returns, a hard target copy every 256 gradient
    steps, Double DQN; 4 environments stepped together (fewer Python iterations), and 8
    gradient steps every 16 environment steps instead of 128 every 256 (the same replay
    ratio, 0.5 gradient steps per environment step): dqrec compiles the K steps of one
    update into one XLA graph, and a 128-step unrolled graph takes minutes to compile.
    """
    from dqrec.config import AgentConfig, NetworkConfig, TrainConfig

    return TrainConfig(
        env_id="CartPole-v1",
        seed=seed,
        network=NetworkConfig(encoder="mlp", head="dense", hidden_units=(256, 256), dueling=False),
        agent=AgentConfig(gamma=0.99, lr=1e-3, batch_size=64, n_steps=3, target_period=256),
        num_envs=4,
        total_steps=total_steps,
        learning_starts=1000,
        train_every=16,
        gradient_steps=8,
        epsilon_end=0.04,
        epsilon_decay_steps=int(0.16 * total_steps),  # the zoo's exploration_fraction
        eval_every=0,  # evaluated by this script's callback instead, off the clock
        num_eval_shoppers=1,  # train()'s own closing evaluation: one episode, unused
    )


def dqrec_shop_config(seed, total_steps):
    from dqrec.config import TrainConfig

    config = TrainConfig(seed=seed, eval_every=0, num_eval_shoppers=1)
    if not total_steps:
        return config
    # a shorter run keeps the default's shape: epsilon decays over the first half
    return config.replace(total_steps=total_steps, epsilon_decay_steps=total_steps // 2)


def sb3_shop_kwargs(config) -> dict:
    """SB3's DQN with dqrec's default hyperparameters, knob by knob (``config`` is dqrec's)."""
    agent = config.agent
    env_steps_per_gradient_step = config.train_every / config.gradient_steps
    return dict(
        learning_rate=agent.lr,
        batch_size=agent.batch_size,
        buffer_size=config.replay_capacity,
        learning_starts=config.learning_starts,
        gamma=agent.gamma,
        train_freq=max(1, config.train_every // config.num_envs),  # counted in vector steps
        gradient_steps=config.gradient_steps,
        # dqrec copies every target_period *gradient* steps; SB3 counts environment steps
        target_update_interval=int(agent.target_period * env_steps_per_gradient_step),
        exploration_fraction=min(1.0, config.epsilon_decay_steps / config.total_steps),
        exploration_initial_eps=config.epsilon_start,
        exploration_final_eps=config.epsilon_end,
        max_grad_norm=agent.grad_clip_norm,
        policy_kwargs=dict(net_arch=[256, 256]),
    )


# ---- evaluation and timing --------------------------------------------------------------
class SB3Policy:
    """An SB3 model behind dqrec's policy interface, so both are measured identically."""

    def __init__(self, model):
        self.model = model

    def act(self, obs, env=None):
        actions, _ = self.model.predict(np.asarray(obs, np.float32), deterministic=True)
        return np.asarray(actions, np.int64)


def make_evaluator(task):
    from dqrec.envs import ShopConfig
    from dqrec.evaluate import evaluate_gym_policy, evaluate_policy

    if task == "cartpole":
        return lambda policy: evaluate_gym_policy(
            policy, "CartPole-v1", CARTPOLE_EPISODES, EVAL_SEED
        )
    return lambda policy: evaluate_policy(policy, ShopConfig(), SHOP_EVAL_SHOPPERS, EVAL_SEED)


class PausingClock:
    """Training time with the periodic evaluations cut out of it."""

    def __init__(self, evaluate, eval_every):
        self.evaluate, self.eval_every = evaluate, eval_every
        self.started = time.perf_counter()
        self.eval_seconds = 0.0
        self.last_step_time = self.started
        self.curve = []  # [env_steps, train_seconds, mean_return, return_ci]

    def train_seconds(self, now=None):
        return (now or time.perf_counter()) - self.started - self.eval_seconds

    def step(self, before, env_steps, policy):
        """Call after every training iteration; evaluates when a multiple of eval_every passed."""
        self.last_step_time = time.perf_counter()
        if env_steps // self.eval_every > before // self.eval_every:
            train_seconds = self.train_seconds(self.last_step_time)
            result = self.evaluate(policy)
            self.curve.append(
                [
                    env_steps,
                    round(train_seconds, 3),
                    round(result.mean_return, 4),
                    round(result.return_ci, 4),
                ]
            )
            self.eval_seconds += time.perf_counter() - self.last_step_time


def run_dqrec(task, seed, total_steps, eval_every):
    from dqrec.train import train

    if task == "cartpole":
        config = dqrec_cartpole_config(seed, total_steps or CARTPOLE_STEPS)
    else:
        config = dqrec_shop_config(seed, total_steps)
    clock = PausingClock(make_evaluator(task), eval_every)
    last = {"steps": 0}

    def callback(env_steps, history):
        clock.step(last["steps"], env_steps, history.agent)
        last["steps"] = env_steps

    clock.started = time.perf_counter()
    history = train(config, callback=callback)
    end = clock.last_step_time  # train()'s own closing evaluation is not counted
    return finish(clock, end, config.total_steps, history.agent, task)


def run_sb3(task, seed, total_steps, eval_every):
    import gymnasium
    from stable_baselines3 import DQN
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    if task == "cartpole":
        steps, kwargs = total_steps or CARTPOLE_STEPS, SB3_CARTPOLE
        env = gymnasium.make("CartPole-v1")
    else:
        config = dqrec_shop_config(seed, total_steps)
        steps, kwargs = config.total_steps, sb3_shop_kwargs(config)
        env = make_vec_env("dqrec/Shop-v0", n_envs=config.num_envs, seed=seed)
    clock = PausingClock(make_evaluator(task), eval_every)

    class EvalCallback(BaseCallback):
        def _on_step(self):
            before = self.num_timesteps - self.training_env.num_envs
            clock.step(before, self.num_timesteps, SB3Policy(self.model))
            return True

    clock.started = time.perf_counter()
    model = DQN("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **kwargs)
    model.learn(total_timesteps=steps, callback=EvalCallback())
    end = time.perf_counter()
    return finish(clock, end, steps, SB3Policy(model), task)


def finish(clock, end, total_steps, policy, task):
    if not clock.curve or clock.curve[-1][0] < total_steps:  # a closing evaluation, off the clock
        result = clock.evaluate(policy)
        clock.curve.append(
            [
                total_steps,
                round(clock.train_seconds(end), 3),
                round(result.mean_return, 4),
                round(result.return_ci, 4),
            ]
        )
    train_seconds = clock.train_seconds(end)
    return {
        "final_return": clock.curve[-1][2],
        "final_return_ci": clock.curve[-1][3],
        "env_steps": total_steps,
        "train_seconds": round(train_seconds, 2),
        "env_steps_per_second": round(total_steps / train_seconds, 1),
        "eval_seconds": round(clock.eval_seconds, 2),
        "curve": clock.curve,  # [env_steps, train_seconds, mean_return, return_ci]
    }


def time_to(curve, threshold):
    """(train_seconds, env_steps) at the first evaluation reaching ``threshold``, or Nones."""
    for steps, seconds, mean_return, _ in curve:
        if mean_return >= threshold:
            return seconds, steps
    return None, None


def summarise(task, runs):
    """Summary lines: per implementation over seeds, and the paired wall-time ratio."""
    from dqrec.metrics import mean_ci

    lines = []
    by_seed = {(r["impl"], r["seed"]): r for r in runs}
    for impl in ("dqrec", "sb3"):
        mine = [r for r in runs if r["impl"] == impl]
        if not mine:
            continue
        line = {"bench": "sb3_compare_summary", "task": task, "impl": impl, "seeds": len(mine)}
        for key in ("final_return", "train_seconds", "env_steps_per_second"):
            mean, half = mean_ci([r[key] for r in mine]) if len(mine) > 1 else (mine[0][key], 0.0)
            line[key], line[key + "_ci95"] = round(mean, 4), round(half, 4)
        line["per_seed_final_return"] = [r["final_return"] for r in mine]
        reached = [r["time_to_threshold_s"] for r in mine if r["time_to_threshold_s"] is not None]
        line["threshold"] = mine[0]["threshold"]
        line["seeds_reaching_threshold"] = len(reached)
        line["median_time_to_threshold_s"] = float(np.median(reached)) if reached else None
        lines.append(line)
    if task == "shop":  # dqrec's time to reach the same-seed SB3 run's final return
        ratios = []
        for seed in sorted({r["seed"] for r in runs}):
            dq, sb = by_seed.get(("dqrec", seed)), by_seed.get(("sb3", seed))
            if dq and sb:
                seconds, _ = time_to(dq["curve"], sb["final_return"])
                ratios.append(None if seconds is None else round(seconds / sb["train_seconds"], 4))
        met = bool(ratios) and all(r is not None and r <= 1 / 3 for r in ratios)
        lines.append(
            {
                "bench": "sb3_compare_target",
                "task": task,
                "target": "dqrec reaches SB3's final mean return in <= 1/3 of SB3's "
                "training wall time (paired by seed)",
                "ratio_per_seed": ratios,
                "met": met,
            }
        )
    else:
        dq = [r for r in runs if r["impl"] == "dqrec"]
        solved = sum(r["final_return"] >= CARTPOLE_THRESHOLD for r in dq)
        lines.append(
            {
                "bench": "sb3_compare_target",
                "task": task,
                "target": f"dqrec final greedy mean return >= {CARTPOLE_THRESHOLD} in "
                f">= 4 of 5 seeds within {CARTPOLE_STEPS} steps",
                "seeds_solved": solved,
                "seeds": len(dq),
                "met": solved >= 4 and len(dq) >= 5,
            }
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("cartpole", "shop"), required=True)
    parser.add_argument("--seeds", type=int, default=5, help="number of training seeds")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first..first+N-1")
    parser.add_argument("--impls", default="dqrec,sb3", help="comma-separated subset")
    parser.add_argument(
        "--total-steps",
        type=int,
        default=None,
        help="env steps per run (cartpole 50000; shop TrainConfig().total_steps)",
    )
    parser.add_argument(
        "--eval-every",
        type=int,
        default=None,
        help="env steps between evaluations (cartpole 5000, shop 20000)",
    )
    args = parser.parse_args(argv)
    eval_every = args.eval_every or (5000 if args.task == "cartpole" else 20_000)

    pin_threads()
    from dqrec.envs import register_shop

    register_shop()  # "dqrec/Shop-v0" for gymnasium.make

    print(json.dumps(machine_info()), flush=True)
    runs = []
    runners = {"dqrec": run_dqrec, "sb3": run_sb3}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for impl in args.impls.split(","):
            load_before = os.getloadavg()[0]
            record = runners[impl](args.task, seed, args.total_steps, eval_every)
            if args.task == "cartpole":
                threshold = CARTPOLE_THRESHOLD
            else:  # the SB3 run of this seed ran just before or runs just after: fixed later
                threshold = None
            seconds, steps = time_to(record["curve"], threshold) if threshold else (None, None)
            record = {
                "bench": "sb3_compare_run",
                "task": args.task,
                "impl": impl,
                "seed": seed,
                "threshold": threshold,
                "time_to_threshold_s": seconds,
                "steps_to_threshold": steps,
                **record,
                "load1_before": round(load_before, 2),
                "load1_after": round(os.getloadavg()[0], 2),
            }
            runs.append(record)
            print(json.dumps(record), flush=True)
    if args.task == "shop":  # threshold of a shop run: the final return of SB3 with its seed
        sb3_final = {r["seed"]: r["final_return"] for r in runs if r["impl"] == "sb3"}
        for r in runs:
            if r["seed"] in sb3_final:
                r["threshold"] = sb3_final[r["seed"]]
                r["time_to_threshold_s"], r["steps_to_threshold"] = time_to(
                    r["curve"], r["threshold"]
                )
    for line in summarise(args.task, runs):
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
