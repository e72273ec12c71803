"""Training speed before and after a change, side by side in one run (issue 11).

    python benchmarks/bench_speed.py >> benchmarks/results/speed.jsonl
    python benchmarks/bench_speed.py --before ae53993 --rounds 3   # the defaults

"before" is the package as it was at git revision ``--before`` (extracted with ``git archive``
into a temporary folder), "after" is this checkout's package. Every measurement runs in a fresh
child process per version, and the two versions alternate round by round, so both see the same
machine load; each line reports the median over ``--rounds`` and the ratio after / before.

Prints JSON lines (the first one is ``machine_info``):

- ``gradient_steps_per_second``: ``DQNAgent.train_steps`` at batch 256 with the default network
  (``NetworkConfig()``, ``AgentConfig()``), ``steps_per_call`` gradient steps per compiled call
  (4 is ``TrainConfig().gradient_steps``), after one call that compiles;
- ``compile_seconds``: that first call (tracing + XLA compilation) of ``train_steps``;
- ``train_env_steps_per_second``: the default ``train(TrainConfig())`` (100k environment
  steps, DQN only, with its evaluations) end to end *excluding compilation*: the difference
  of two runs in one child, ``TrainConfig(total_steps=100_000)`` and a short run of
  ``total_steps=4_096`` that compiles the same functions, is ``(100_000 - 4_096)`` steps in
  ``T_long - T_short`` seconds (``T_short`` is reported as ``short_run_seconds``); the
  cache of compiled updates shared between agents (``dqrec.shared_update``) is emptied before
  each run, so that both runs compile;
- ``seeds_per_minute``: default runs of ``--seed-steps`` environment steps for 1, 4 and 8 seeds,
  one after another ("sequential", before and after) and with ``dqrec.many_seeds.train_seeds``
  (after only; its ``processes`` is in the line). Both start the clock with TensorFlow already
  imported (lines before 2026-12-01T06:30 timed ``train_seeds`` with the import, about 4 s).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from machine import machine_info

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "ae53993"  # main when issue 11's speed work started

GRADIENT = """
import json, os, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
from dqrec.agent import DQNAgent
from dqrec.config import AgentConfig, NetworkConfig
from dqrec.envs import ShopConfig, VecShopEnv
from dqrec.replay import ReplayBuffer
K, SECONDS = {k}, {seconds}
shop = ShopConfig()
env = VecShopEnv(shop, num_envs=256, seed=0)
obs, _ = env.reset(seed=0)
rng = np.random.default_rng(0)
replay = ReplayBuffer(20_480, shop.obs_dim)
for _ in range(80):
    actions = rng.integers(0, shop.num_items, 256)
    next_obs, rewards, term, trunc, info = env.step(actions)
    replay.add(obs, actions, rewards, info["final_obs"], term, trunc, np.full(256, 0.9))
    obs = next_obs
agent = DQNAgent(shop.obs_dim, shop.num_items, AgentConfig(batch_size=256), NetworkConfig(),
                 history_len=shop.history_len, num_items=shop.num_items)
batches = [replay.sample_many(K, 256, rng) for _ in range(16)]
start = time.perf_counter()
agent.train_steps(batches[0])
compile_seconds = time.perf_counter() - start
agent.train_steps(batches[1])
calls, start, cpu = 0, time.perf_counter(), time.process_time()
while time.perf_counter() - start < SECONDS:
    agent.train_steps(batches[calls % 16])
    calls += 1
rate = calls * K / (time.perf_counter() - start)
cpu_rate = calls * K / (time.process_time() - cpu)
print(json.dumps({{"rate": rate, "cpu_rate": cpu_rate, "compile_seconds": compile_seconds}}))
"""

TRAIN = """
import json, os, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
from dqrec.config import TrainConfig
from dqrec.train import train
seconds = {{}}
for steps in (4_096, 100_000):
    try:  # both runs compile: the package now shares compiled updates between agents
        from dqrec.shared_update import clear
        clear()
    except ImportError:
        pass
    start = time.perf_counter()
    history = train(TrainConfig(total_steps=steps))
    seconds[steps] = time.perf_counter() - start
rate = (100_000 - 4_096) / (seconds[100_000] - seconds[4_096])
print(json.dumps({{"rate": rate, "short_run_seconds": seconds[4_096],
                  "long_run_seconds": seconds[100_000],
                  "mean_return": history.final_eval["mean_return"]}}))
"""

SEQUENTIAL = """
import json, os, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
from dqrec.config import TrainConfig
from dqrec.train import train
start = time.perf_counter()
for seed in range({n}):
    train(TrainConfig(seed=seed, total_steps={steps}))
print(json.dumps({{"rate": {n} * 60 / (time.perf_counter() - start)}}))
"""

MANY = """
import json, os, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
from dqrec.config import TrainConfig
from dqrec.many_seeds import default_processes, train_seeds
from dqrec.train import train  # TensorFlow loaded before the clock starts, as in SEQUENTIAL
start = time.perf_counter()
train_seeds(TrainConfig(total_steps={steps}), range({n}))
print(json.dumps({{"rate": {n} * 60 / (time.perf_counter() - start),
                  "processes": default_processes({n}, {steps})}}))
"""


def extract(revision, folder):
    """The ``dqrec`` package at git ``revision``, unpacked under ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "dqrec"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def child(code, package_root):
    """Run ``code`` in a fresh Python with ``package_root`` first on the path; its last line."""
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=package_root
    )
    if done.returncode != 0:
        sys.exit(f"bench_speed: a child run failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def side_by_side(code, roots, rounds, versions=("before", "after")):
    """``{version: [result per round]}``, the versions alternating within each round."""
    results = {v: [] for v in versions}
    for _ in range(rounds):
        for version in versions:
            results[version].append(child(code, roots[version]))
    return results


def median(results, key):
    return statistics.median(r[key] for r in results)


def emit(record):
    record["load1"] = round(os.getloadavg()[0], 2)
    print(json.dumps(record), flush=True)


def compare(bench, results, extra=(), **fields):
    """One line: the median rate of each version, their ratio and the median ``extra`` keys."""
    line = {"bench": bench, **fields}
    for version, runs in results.items():
        line[version] = round(median(runs, "rate"), 1)
        for key in extra:
            line[f"{version}_{key}"] = round(median(runs, key), 2)
    if "before" in results and "after" in results:
        line["ratio"] = round(line["after"] / line["before"], 2)
    emit(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git revision of the 'before' package")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per figure")
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per gradient figure")
    parser.add_argument("--seed-steps", type=int, default=20_000, help="env steps per seed run")
    parser.add_argument("--steps-per-call", type=int, nargs="+", default=[4, 32])
    parser.add_argument(
        "--parts", nargs="+", default=["gradient", "train", "seeds"], help="what to measure"
    )
    parser.add_argument(
        "--sequential-versions",
        nargs="+",
        default=["before", "after"],
        help="versions timed running the seeds one after another",
    )
    args = parser.parse_args()

    import tensorflow as tf

    emit({**machine_info(tensorflow=tf.__version__), "before": args.before})
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"before": extract(args.before, tmp), "after": ROOT}
        for k in args.steps_per_call if "gradient" in args.parts else ():
            code = GRADIENT.format(k=k, seconds=args.seconds)
            results = side_by_side(code, roots, args.rounds)
            extra = ("cpu_rate", "compile_seconds")
            compare("gradient_steps_per_second", results, extra, batch_size=256, steps_per_call=k)
        if "train" in args.parts:
            results = side_by_side(TRAIN.format(), roots, args.rounds)
            compare(
                "train_env_steps_per_second",
                results,
                ("short_run_seconds", "long_run_seconds", "mean_return"),
                total_steps=100_000,
            )
        for n in (1, 4, 8) if "seeds" in args.parts else ():
            steps = args.seed_steps
            sequential = SEQUENTIAL.format(n=n, steps=steps)
            compare(
                "seeds_per_minute",
                side_by_side(sequential, roots, 1, versions=args.sequential_versions),
                seeds=n,
                steps=steps,
                mode="sequential",
            )
            many = side_by_side(MANY.format(n=n, steps=steps), roots, 1, versions=("after",))
            compare(
                "seeds_per_minute", many, ("processes",), seeds=n, steps=steps, mode="train_seeds"
            )


if __name__ == "__main__":
    main()
