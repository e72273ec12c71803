"""Throughput profiles: where the time of a dqrec training run goes.

    python benchmarks/bench_profile.py > benchmarks/results/profile.jsonl

Runs in the package's own venv (no torch needed). Prints one JSON line per measurement:

- ``env_steps_per_second`` against ``num_envs`` (1 .. 4096) for ``VecShopEnv`` (every
  shopper of the batch in one set of NumPy operations), and for contrast Gymnasium's
  ``SyncVectorEnv`` of the scalar ``ShopEnv`` (a Python loop over shoppers) at small sizes;
- ``gradient_steps_per_second`` against ``batch_size`` (32 .. 2048) for the default agent
  (``AgentConfig()``, ``NetworkConfig()``), ``TrainConfig().gradient_steps`` steps per
  compiled call, after one call to compile;
- ``loop_phases``: one line per phase of the default training loop (``TrainConfig()``:
  acting (in NumPy, ``dqrec.acting``), environment, storing, replay sampling, train step
  with the refresh of the acting weights), timed with
  ``time.perf_counter`` around each phase over ``--iterations`` iterations after the replay
  holds ``learning_starts`` transitions. The loop is a copy of the phases of
  ``dqrec.train.train`` built from the package's pieces, so the package is not patched.

Threads are pinned to 2 (OMP_NUM_THREADS and TensorFlow's intra/inter-op pools). Each line
carries the 1-minute load average, since the numbers mean little on a busy machine.
"""

import os

THREADS = 2
os.environ["OMP_NUM_THREADS"] = str(THREADS)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def emit(record):
    record["load1"] = round(os.getloadavg()[0], 2)
    print(json.dumps(record), flush=True)


def rate(step, seconds):
    """Calls of ``step()`` per second over about ``seconds`` (after two warm-up calls)."""
    step(), step()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        calls += 1
    return calls / (time.perf_counter() - start)


def random_stepper(env, num_items, num_envs):
    """A function stepping ``env`` with uniformly random actions (drawn in advance)."""
    actions = np.random.default_rng(0).integers(0, num_items, size=(64, num_envs))
    count = itertools.count()
    return lambda: env.step(actions[next(count) % 64])


def env_profile(sizes, sync_sizes, seconds):
    import gymnasium

    from dqrec.envs import register_shop

    register_shop()  # "dqrec/Shop-v0" for gymnasium.make
    from dqrec.envs import ShopConfig, VecShopEnv

    shop = ShopConfig()
    for num_envs in sizes:
        env = VecShopEnv(shop, num_envs=num_envs, seed=0)
        env.reset(seed=0)
        calls = rate(random_stepper(env, shop.num_items, num_envs), seconds)
        emit(
            {
                "bench": "env_steps_per_second",
                "env": "VecShopEnv",
                "num_envs": num_envs,
                "value": round(calls * num_envs),
            }
        )
    for num_envs in sync_sizes:
        env = gymnasium.make_vec("dqrec/Shop-v0", num_envs=num_envs, vectorization_mode="sync")
        env.reset(seed=0)
        calls = rate(random_stepper(env, shop.num_items, num_envs), seconds)
        emit(
            {
                "bench": "env_steps_per_second",
                "env": "SyncVectorEnv(ShopEnv)",
                "num_envs": num_envs,
                "value": round(calls * num_envs),
            }
        )
        env.close()


def filled_replay(shop, num_transitions, rng):
    from dqrec.envs import VecShopEnv
    from dqrec.replay import ReplayBuffer

    num_envs = 256
    env = VecShopEnv(shop, num_envs=num_envs, seed=0)
    obs, _ = env.reset(seed=0)
    replay = ReplayBuffer(num_transitions, shop.obs_dim)
    for _ in range(num_transitions // num_envs):
        actions = rng.integers(0, shop.num_items, num_envs)
        next_obs, rewards, terminated, truncated, info = env.step(actions)
        replay.add(
            obs,
            actions,
            rewards,
            info["final_obs"],
            terminated,
            truncated,
            np.full(num_envs, 0.9, np.float32),
        )
        obs = next_obs
    return replay


def gradient_profile(batch_sizes, seconds):
    from dqrec.agent import DQNAgent
    from dqrec.config import AgentConfig, NetworkConfig, TrainConfig
    from dqrec.envs import ShopConfig

    shop, k = ShopConfig(), TrainConfig().gradient_steps
    rng = np.random.default_rng(0)
    replay = filled_replay(shop, 20_480, rng)
    for batch_size in batch_sizes:
        agent = DQNAgent(
            shop.obs_dim,
            shop.num_items,
            AgentConfig(batch_size=batch_size),
            NetworkConfig(),
            history_len=shop.history_len,
            num_items=shop.num_items,
        )
        batch = replay.sample_many(k, batch_size, rng)
        start = time.perf_counter()
        agent.train_steps(batch)  # traces and compiles this (K, batch) shape
        compile_seconds = time.perf_counter() - start
        calls = rate(lambda agent=agent, batch=batch: agent.train_steps(batch), seconds)
        emit(
            {
                "bench": "gradient_steps_per_second",
                "batch_size": batch_size,
                "steps_per_call": k,
                "value": round(calls * k, 1),
                "transitions_per_second": round(calls * k * batch_size),
                "compile_seconds": round(compile_seconds, 2),
            }
        )


def loop_profile(iterations):
    """The phases of ``dqrec.train.train`` for ``TrainConfig()``, each timed on its own."""
    from dqrec.acting import NumpyQ
    from dqrec.config import TrainConfig
    from dqrec.exploration import LinearSchedule, epsilon_greedy
    from dqrec.nstep import NStepWindow
    from dqrec.replay import ReplayBuffer
    from dqrec.train import _make_env, make_agent

    config = TrainConfig()
    env = _make_env(config)
    obs_dim = int(np.prod(env.single_observation_space.shape))
    agent = make_agent(config, obs_dim, int(env.single_action_space.n))
    actor = NumpyQ.mirror(agent.online)  # the loop acts in NumPy (dqrec.acting)
    replay = ReplayBuffer(config.replay_capacity, obs_dim)
    window = NStepWindow(config.agent.n_steps, config.agent.gamma, config.num_envs, obs_dim)
    rng = np.random.default_rng(config.seed)
    schedule = LinearSchedule(config.epsilon_start, config.epsilon_end, config.epsilon_decay_steps)
    obs, _ = env.reset(seed=config.seed)
    n = config.num_envs
    warmup = -(-config.learning_starts // n) + 2  # fill the replay, then compile the train step
    phases = {"acting": 0.0, "environment": 0.0, "storing": 0.0, "sampling": 0.0, "train_step": 0.0}
    env_steps = 0
    for iteration in range(warmup + iterations):
        timing = iteration >= warmup
        t0 = time.perf_counter()
        actions = epsilon_greedy(actor(obs), schedule(env_steps), rng)  # (num_envs,)
        t1 = time.perf_counter()
        next_obs, rewards, terminated, truncated, info = env.step(actions)
        t2 = time.perf_counter()
        ready = window.push(obs, actions, rewards, info["final_obs"], terminated, truncated)
        if ready is not None:
            replay.add(*ready)
        obs = next_obs
        before, env_steps = env_steps, env_steps + n
        t3 = time.perf_counter()
        sampling = training = 0.0
        if env_steps >= config.learning_starts:
            for _ in range(env_steps // config.train_every - before // config.train_every):
                s0 = time.perf_counter()
                batch = replay.sample_many(config.gradient_steps, config.agent.batch_size, rng)
                s1 = time.perf_counter()
                agent.train_steps(batch)
                actor.set_weights(agent.latest_weights)
                s2 = time.perf_counter()
                sampling, training = sampling + s1 - s0, training + s2 - s1
        if timing:
            phases["acting"] += t1 - t0
            phases["environment"] += t2 - t1
            phases["storing"] += t3 - t2
            phases["sampling"] += sampling
            phases["train_step"] += training
    total = sum(phases.values())
    for phase, seconds in phases.items():
        emit(
            {
                "bench": "loop_phases",
                "phase": phase,
                "iterations": iterations,
                "num_envs": n,
                "ms_per_iteration": round(1000 * seconds / iterations, 4),
                "share": round(seconds / total, 4),
            }
        )
    emit(
        {
            "bench": "loop_phases_total",
            "iterations": iterations,
            "num_envs": n,
            "ms_per_iteration": round(1000 * total / iterations, 4),
            "env_steps_per_second": round(iterations * n / total, 1),
        }
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="timing per measurement")
    parser.add_argument("--iterations", type=int, default=300, help="timed loop iterations")
    parser.add_argument("--num-envs", type=int, nargs="+", default=[1, 4, 16, 64, 256, 1024, 4096])
    parser.add_argument("--sync-num-envs", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 512, 2048])
    args = parser.parse_args(argv)
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    env_profile(args.num_envs, args.sync_num_envs, args.seconds)
    gradient_profile(args.batch_sizes, args.seconds)
    loop_profile(args.iterations)
    return 0


if __name__ == "__main__":
    sys.exit(main())
