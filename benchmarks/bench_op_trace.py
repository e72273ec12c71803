"""Where one gradient step's time goes, kernel by kernel: a ``tf.profiler`` trace of the step.

    python benchmarks/bench_op_trace.py > /tmp/op_trace.jsonl

The default agent (``NetworkConfig()``, ``AgentConfig()``, batch 256, 4 gradient steps per
compiled call as ``TrainConfig().gradient_steps``) is warmed up, then ``--calls`` calls are
traced with ``tf.profiler.experimental``. The trace's XLA kernels (one event per fused
kernel) are grouped by name without their numeric suffix (``MatMul.193`` -> ``MatMul``) and
printed, largest first, as ``op_trace`` lines: microseconds per gradient step and kernels per
step. Control flow (the loop over the K steps) is left out, since its time holds its body's
kernels. An ``op_trace_total`` line gives the kernels' sum and the wall time of the whole call
under the profiler (tensor conversions, the call itself and the XLA runtime between kernels
included), each per gradient step. TensorFlow runs on ``--threads`` threads (default 1, so that
the kernel times add up to the step's time instead of overlapping).

Complements ``bench_step_profile.py``, which times prefixes of the step (encoder, forward,
backward, optimizer) and counts its FLOPs.
"""

import argparse
import collections
import glob
import json
import os
import re
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from machine import machine_info  # noqa: E402

K, BATCH = 4, 256
CONTAINERS = {"while", "conditional", "call"}  # control flow: their time holds their body's kernels


def emit(record):
    print(json.dumps({**record, "load1": round(os.getloadavg()[0], 2)}), flush=True)


def default_agent_and_batches(count, seed=0):
    from bench_step_profile import filled_replay  # the same replay as the prefix profile

    from dqrec.agent import DQNAgent
    from dqrec.config import AgentConfig, NetworkConfig
    from dqrec.envs import ShopConfig

    shop = ShopConfig()
    rng = np.random.default_rng(seed)
    replay = filled_replay(shop, rng)
    agent = DQNAgent(
        shop.obs_dim,
        shop.num_items,
        AgentConfig(batch_size=BATCH),
        NetworkConfig(),
        history_len=shop.history_len,
        num_items=shop.num_items,
    )
    return agent, [replay.sample_many(K, BATCH, rng) for _ in range(count)]


# An XLA kernel is named after its HLO instruction: a lowercase fusion, copy or loop
# ("add_maximum_fusion.1", "while.6") or an instruction named after its TensorFlow op with a
# numeric suffix ("MatMul.193"). TensorFlow's own runtime events ("EagerExecute",
# "tf.constant", "ThunkExecutor::Execute", "end: ...") match neither.
KERNEL = re.compile(r"[a-z][\w\-]*(\.\d+)?|[A-Z]\w*\.\d+")


def host_events(xplane_path):
    """``(name, duration in µs)`` of every event on the host's threads."""
    try:
        from tsl.profiler.protobuf import xplane_pb2
    except ImportError:
        from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    with open(xplane_path, "rb") as f:
        space.ParseFromString(f.read())
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        if not plane.name.startswith("/host"):
            continue
        for line in plane.lines:  # the calling thread and the thread pool's
            for event in line.events:
                yield names.get(event.metadata_id, "?"), event.duration_ps / 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="traced calls of K steps")
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow's thread pools")
    parser.add_argument("--top", type=int, default=20, help="op groups printed")
    args = parser.parse_args(argv)
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    emit(machine_info(tensorflow=tf.__version__))
    agent, batches = default_agent_and_batches(8)
    for i in range(20):  # compile, then settle
        agent.train_steps(batches[i % len(batches)])
    steps = args.calls * K
    with tempfile.TemporaryDirectory() as folder:
        tf.profiler.experimental.start(folder)
        start = time.perf_counter()
        for i in range(args.calls):
            agent.train_steps(batches[i % len(batches)])
        wall = time.perf_counter() - start
        tf.profiler.experimental.stop()
        (path,) = glob.glob(os.path.join(folder, "**", "*.xplane.pb"), recursive=True)
        events = list(host_events(path))
    time_of, count_of = collections.Counter(), collections.Counter()
    for name, micros in events:
        group = re.sub(r"\.\d+$", "", name)
        if KERNEL.fullmatch(name) and group not in CONTAINERS:
            time_of[group] += micros
            count_of[group] += 1
    kernels = sum(time_of.values())
    for group, micros in time_of.most_common(args.top):
        emit(
            {
                "bench": "op_trace",
                "op": group,
                "us_per_step": round(micros / steps, 1),
                "kernels_per_step": round(count_of[group] / steps, 2),
                "share": round(micros / kernels, 3),
                "threads": args.threads,
            }
        )
    emit(
        {
            "bench": "op_trace_total",
            "kernels_us_per_step": round(kernels / steps, 1),
            "kernels_per_step": round(sum(count_of.values()) / steps, 1),
            "wall_us_per_step": round(1e6 * wall / steps, 1),
            "batch_size": BATCH,
            "steps_per_call": K,
            "threads": args.threads,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
