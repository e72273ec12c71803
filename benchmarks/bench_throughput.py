"""Throughput and memory: simulator steps/s, gradient steps/s, peak memory of training.

    python benchmarks/bench_throughput.py

Prints JSON lines:
- ``env_steps_per_second`` of ``VecShopEnv`` at several ``num_envs`` (target at 1024:
  at least 1,000,000 shopper-steps per second on 2 cores),
- ``gradient_steps_per_second`` of the default DQN agent at several batch sizes, with the
  default number of gradient steps per compiled call (target at batch 256: 2,000),
- ``peak_rss_mb`` of a child process that runs the default training run (target: under
  1.5 GB), with its wall time.
"""

import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def env_throughput(num_envs, seconds=2.0):
    import numpy as np

    from dqrec.envs import ShopConfig, VecShopEnv

    config = ShopConfig()
    env = VecShopEnv(config, num_envs=num_envs, seed=0)
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, config.num_items, size=(64, num_envs))
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(actions[steps % 64])
        steps += 1
    return steps * num_envs / (time.perf_counter() - start)


def grad_throughput(batch_size, num_steps, seconds=3.0):
    import numpy as np

    from dqrec.agent import DQNAgent
    from dqrec.config import AgentConfig, NetworkConfig
    from dqrec.envs import ShopConfig, VecShopEnv
    from dqrec.replay import ReplayBuffer

    shop = ShopConfig()
    agent = DQNAgent(
        shop.obs_dim,
        shop.num_items,
        AgentConfig(batch_size=batch_size),
        NetworkConfig(),
        history_len=shop.history_len,
        num_items=shop.num_items,
    )
    env = VecShopEnv(shop, num_envs=256, seed=0)
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    replay = ReplayBuffer(20_000, shop.obs_dim)
    for _ in range(40):
        actions = rng.integers(0, shop.num_items, 256)
        next_obs, rewards, term, trunc, info = env.step(actions)
        replay.add(obs, actions, rewards, info["final_obs"], term, trunc, np.full(256, 0.9))
        obs = next_obs
    agent.train_steps(replay.sample_many(num_steps, batch_size, rng))  # compile
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        agent.train_steps(replay.sample_many(num_steps, batch_size, rng))
        steps += num_steps
    return steps / (time.perf_counter() - start)


CHILD = """
import resource, time, json
from dqrec.config import TrainConfig
from dqrec.train import train
start = time.perf_counter()
history = train(TrainConfig())
print(json.dumps({"seconds": time.perf_counter() - start,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "mean_return": history.final_eval["mean_return"]}))
"""


def main():
    from dqrec.config import TrainConfig

    load = os.getloadavg()[0]
    for num_envs in (1, 64, 1024, 4096):
        print(
            json.dumps(
                {
                    "bench": "env_steps_per_second",
                    "num_envs": num_envs,
                    "value": round(env_throughput(num_envs)),
                    "load1": load,
                }
            ),
            flush=True,
        )
    k = TrainConfig().gradient_steps
    for batch_size in (64, 256, 1024):
        print(
            json.dumps(
                {
                    "bench": "gradient_steps_per_second",
                    "batch_size": batch_size,
                    "steps_per_call": k,
                    "value": round(grad_throughput(batch_size, k), 1),
                    "load1": os.getloadavg()[0],
                }
            ),
            flush=True,
        )
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    child = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        json.dumps(
            {
                "bench": "default_training_run",
                "peak_rss_mb": round(child["maxrss_kb"] / 1024),
                "seconds": round(child["seconds"], 1),
                "mean_return": child["mean_return"],
                "load1": os.getloadavg()[0],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
