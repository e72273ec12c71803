"""MirroredStrategy on two logical CPUs makes the same updates as one device (DQNAgent)."""

import json
import os
import subprocess
import sys

import pytest

# Runs in a fresh process: the CPU can be split into logical devices only before TensorFlow
# runs its first op, and this test session has long since started TensorFlow.
SCRIPT = """
import json, sys
from dqrec.distributed import split_cpu
devices = split_cpu(2)  # before any other TensorFlow op

import keras
import numpy as np
import tensorflow as tf
from dqrec.agent import DQNAgent
from dqrec.config import AgentConfig, NetworkConfig
from dqrec.distributed import DistributedDQN
from dqrec.envs import ShopConfig
from dqrec.replay import Batch

shop = ShopConfig(num_items=40, history_len=4)
# a small clip norm, so that clipping is active and must see the summed gradient
agent_config = AgentConfig(lr=1e-3, grad_clip_norm=float(sys.argv[1]), target_period=4)
network = NetworkConfig(embedding_dim=8, hidden_units=(16,))
args = (shop.obs_dim, shop.num_items, agent_config, network, shop.history_len, shop.num_items)
keras.utils.set_random_seed(0)
single = DQNAgent(*args)
strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
mirrored = DistributedDQN(strategy, *args)
mirrored.load_weights_from(single)

rng = np.random.default_rng(0)
def random_obs(n):
    h = shop.history_len
    return np.concatenate([rng.integers(0, shop.num_items + 1, (n, h)),
                           rng.integers(0, 4, (n, h)), rng.random((n, 4))], 1).astype(np.float32)
losses = []
for _ in range(6):
    n = 32
    batch = Batch(random_obs(n), rng.integers(0, shop.num_items, n).astype(np.int32),
                  rng.random(n).astype(np.float32), random_obs(n),
                  (rng.random(n) < 0.2).astype(np.float32), np.zeros(n, np.float32))
    stats = single.train_step(batch), mirrored.train_step(batch)
    assert all(set(s) == {"loss", "mean_q"} for s in stats), stats  # one StepStats shape
    losses.append([(s["loss"], s["mean_q"]) for s in stats])

def max_relative_difference(a_weights, b_weights):
    return max(float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-12))
               for a, b in zip(a_weights, b_weights, strict=True))

moved = max_relative_difference(single.online.get_weights(), single.target.get_weights())
print(json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "online": max_relative_difference(single.online.get_weights(), mirrored.online.get_weights()),
    "target": max_relative_difference(single.target.get_weights(), mirrored.target.get_weights()),
    "moved": moved, "losses": losses, "steps": int(mirrored.step_counter.numpy()),
}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("grad_clip_norm", [0.01])
def test_mirrored_two_cpus_matches_single_device(grad_clip_norm):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(grad_clip_norm)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2 and out["steps"] == 6
    # parameters after 6 steps agree to float32 rounding: within 1e-5 of each weight's scale
    assert out["online"] < 1e-5, out
    assert out["target"] < 1e-5, out
    assert out["moved"] > 1e-3  # the networks really changed (not a trivially equal pair)
    for single_stats, mirrored_stats in out["losses"]:  # (loss, mean_q) of each step
        for a, b in zip(single_stats, mirrored_stats, strict=True):
            assert abs(a - b) <= 1e-5 * max(abs(a), 1.0)


DIVIDE_SCRIPT = """
from dqrec.distributed import split_cpu
devices = split_cpu(2)  # two replicas, so a batch of 5 cannot be split evenly

import numpy as np
import tensorflow as tf
from dqrec.config import AgentConfig, NetworkConfig
from dqrec.distributed import DistributedDQN
from dqrec.replay import Batch

strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
dqn = DistributedDQN(strategy, 6, 3, AgentConfig(), NetworkConfig(encoder="mlp", hidden_units=(4,)))

def batch(n):
    return Batch(np.zeros((n, 6), np.float32), np.zeros(n, np.int32), np.ones(n, np.float32),
                 np.zeros((n, 6), np.float32), np.zeros(n, np.float32), None)

try:
    dqn.train_step(batch(5))
except ValueError as exc:
    print("error:", exc)
print("loss:", dqn.train_step(batch(4))["loss"], "steps:", int(dqn.step_counter.numpy()))
"""


@pytest.mark.slow
def test_replica_batch_must_divide():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", DIVIDE_SCRIPT], capture_output=True, text=True, env=env, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert "error: batch size 5 must be a multiple of the 2 replicas" in lines
    # a batch that divides takes one step (the failed one took none); reward 1 -> loss 0.5
    loss, steps = lines[-1].removeprefix("loss: ").split(" steps: ")
    assert float(loss) == pytest.approx(0.5, abs=1e-6) and steps == "1"
