"""MultiWorkerMirroredStrategy: two worker processes on this machine (TF_CONFIG on 127.0.0.1)
make the same DQN updates as one device, as a cluster of machines would."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STEPS, BATCH = 5, 32

# One program for every role: "single" trains a DQNAgent on one device; "worker" joins the
# cluster named in TF_CONFIG and trains DistributedDQN under MultiWorkerMirroredStrategy. Every
# process draws the same batches (same seed) and each worker feeds its replica's share of rows.
SCRIPT = """
import json, sys
role, out_path, steps, batch_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import keras
import numpy as np
import tensorflow as tf
from dqrec.agent import DQNAgent
from dqrec.config import AgentConfig, NetworkConfig, ShopConfig
from dqrec.replay import Batch

shop = ShopConfig(num_items=40, history_len=4)
agent_config = AgentConfig(lr=1e-3, grad_clip_norm=0.01, target_period=2)  # clipping active
network = NetworkConfig(embedding_dim=8, hidden_units=(16,))
args = (shop.obs_dim, shop.num_items, agent_config, network, shop.history_len, shop.num_items)
if role == "worker":
    from dqrec.distributed import DistributedDQN
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    keras.utils.set_random_seed(0)
    start = DQNAgent(*args)  # the same initial weights in every process
    learner = DistributedDQN(strategy, *args)
    learner.load_weights_from(start)
else:
    keras.utils.set_random_seed(0)
    learner = DQNAgent(*args)

rng = np.random.default_rng(0)
def random_obs(n):
    h = shop.history_len
    return np.concatenate([rng.integers(0, shop.num_items + 1, (n, h)),
                           rng.integers(0, 4, (n, h)), rng.random((n, 4))], 1).astype(np.float32)
stats = []
for _ in range(steps):
    n = batch_size
    batch = Batch(random_obs(n), rng.integers(0, shop.num_items, n).astype(np.int32),
                  rng.random(n).astype(np.float32), random_obs(n),
                  (rng.random(n) < 0.2).astype(np.float32), np.zeros(n, np.float32))
    step = learner.train_step(batch)
    stats.append([step["loss"], step["mean_q"]])
weights = [w.tolist() for w in learner.online.get_weights()]
target = [w.tolist() for w in learner.target.get_weights()]
replicas = learner.strategy.num_replicas_in_sync if role == "worker" else 1
with open(out_path, "w") as f:
    json.dump({"stats": stats, "online": weights, "target": target, "replicas": replicas}, f)
"""


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _max_relative_difference(a_weights, b_weights):
    import numpy as np

    return max(
        float(np.max(np.abs(np.subtract(a, b))) / max(np.max(np.abs(a)), 1e-12))
        for a, b in zip(a_weights, b_weights, strict=True)
    )


@pytest.mark.slow
def test_two_workers_on_localhost_match_one_device(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    procs = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", SCRIPT, "worker", str(tmp_path / f"w{index}.json")]
                + [str(STEPS), str(BATCH)],
                env={**env, "TF_CONFIG": json.dumps(tf_config)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    single = subprocess.run(
        [sys.executable, "-c", SCRIPT, "single", str(tmp_path / "single.json"), str(STEPS)]
        + [str(BATCH)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert single.returncode == 0, single.stderr[-3000:]
    for proc in procs:
        try:
            _, err = proc.communicate(timeout=300)
        finally:
            proc.kill()
        assert proc.returncode == 0, err[-3000:]
    one = json.loads((tmp_path / "single.json").read_text())
    for index in range(2):
        worker = json.loads((tmp_path / f"w{index}.json").read_text())
        assert worker["replicas"] == 2  # one replica per worker process, synchronised
        # float32 rounding differs only by the order of the sums: within 1e-5 of each scale
        assert _max_relative_difference(one["online"], worker["online"]) < 1e-5
        assert _max_relative_difference(one["target"], worker["target"]) < 1e-5
        for (loss, mean_q), (w_loss, w_mean_q) in zip(one["stats"], worker["stats"], strict=True):
            assert abs(loss - w_loss) <= 1e-5 * max(abs(loss), 1.0)
            assert abs(mean_q - w_mean_q) <= 1e-5 * max(abs(mean_q), 1.0)
    assert _max_relative_difference(one["online"], one["target"]) > 1e-4  # the nets really moved
