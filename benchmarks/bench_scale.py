"""Benchmark large catalogues: recommendation latency, training step time and memory.

    python benchmarks/bench_scale.py > benchmarks/results/scale.jsonl

(4 to 5 minutes on two busy CPU cores, load 5 to 14; ``--sizes 100,1000 --repeats 5`` for
a quick look).
It prints a ``machine`` line (date, CPU, versions, load average), then for catalogues of
10^2 ... 10^5 items one ``scale`` line per size, each with the 1-minute load average
(``load1``) when the size finished:

- ``latency_ms_per_shopper_b1`` / ``_b256``: a recommendation (top 10) from an exported
  two-tower SavedModel (``dqrec.serving``: state tower + exact ``chunked_top_k`` over a cached
  item table), per shopper, at request batch 1 and 256 (median over repeats);
- ``train_step_ms_sampled``: one two-tower gradient step, batch 256, TD target over 1 logged +
  ``NUM_SAMPLES`` random candidates (``dqrec.two_tower.make_sampled_train_step``);
- ``train_step_ms_full``: one ``DQNAgent`` step (``QNetwork`` item head, batch 256), whose
  Double-DQN target scores every item of the catalogue;
- ``rss_mb`` (resident memory after the size) and ``peak_rss_mb`` (the process's peak so
  far, ``resource.getrusage``; sizes run smallest first, so it is the peak up to this size).

The last line, ``scale_summary``, gives each cost's growth from the smallest to the largest
size divided by the growth of the number of items (1 = linear) and whether the batch-1
latency at the largest size is within the target. Targets: at 10^5 items at most 5 ms per
shopper at batch 1 on two cores, and costs growing no faster than linearly in the number of
items. ``benchmarks/make_report.py`` turns the file into a table and a log-log plot for the
book's benchmark page.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import machine_info as common_machine_info

SIZES = (100, 1_000, 10_000, 100_000)
BATCH_SIZE = 256
NUM_SAMPLES = 1024  # random candidates per row in the sampled TD target
TOP_K = 10


def median_ms(fn, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times))


def random_histories(shop, n, rng):
    h = shop.history_len
    ids = rng.integers(0, shop.num_items, size=(n, h)).astype(np.int32)
    feedback = rng.integers(1, 4, size=(n, h)).astype(np.int32)
    return ids, feedback


def random_obs(shop, n, rng):
    ids, feedback = random_histories(shop, n, rng)
    return np.concatenate([ids, feedback, rng.random((n, 4))], axis=1).astype(np.float32)


def bench_size(num_items, repeats, workdir):
    import keras
    import psutil
    import tensorflow as tf

    from dqrec.agent import DQNAgent
    from dqrec.config import AgentConfig, NetworkConfig
    from dqrec.envs import Catalogue, ShopConfig
    from dqrec.serving import export_saved_model, load_saved_model
    from dqrec.two_tower import build_two_tower, make_sampled_train_step, sample_candidates

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    shop = ShopConfig(num_items=num_items)
    online = build_two_tower(shop, Catalogue.from_config(shop))
    served = load_saved_model(
        export_saved_model(online, Path(workdir) / f"n{num_items}", TOP_K, shop_config=shop)
    )
    row = {"num_items": num_items}
    for batch in (1, 256):
        ids, feedback = random_histories(shop, batch, rng)
        ms = median_ms(lambda ids=ids, feedback=feedback: served.recommend(ids, feedback), repeats)
        row[f"latency_ms_per_shopper_b{batch}"] = ms / batch

    target = build_two_tower(shop, Catalogue.from_config(shop))
    target.set_weights(online.get_weights())
    step = make_sampled_train_step(online, target, keras.optimizers.Adam(1e-3), gamma=0.9)
    obs, next_obs = random_obs(shop, BATCH_SIZE, rng), random_obs(shop, BATCH_SIZE, rng)
    actions = tf.constant(rng.integers(0, num_items, BATCH_SIZE), tf.int32)
    rewards, terminated = tf.constant(rng.random(BATCH_SIZE), tf.float32), tf.zeros(BATCH_SIZE)
    candidates = sample_candidates(tf.constant([0, 1]), actions, num_items, NUM_SAMPLES)
    row["train_step_ms_sampled"] = median_ms(
        lambda: step(obs, actions, rewards, next_obs, terminated, candidates), repeats
    )

    from dqrec.replay import Batch

    agent = DQNAgent(
        shop.obs_dim,
        num_items,
        AgentConfig(batch_size=BATCH_SIZE),
        NetworkConfig(),
        shop.history_len,
        num_items,
    )
    batch = Batch(
        obs, actions.numpy(), rewards.numpy(), next_obs, terminated.numpy(), terminated.numpy()
    )
    row["train_step_ms_full"] = median_ms(lambda: agent.train_step(batch), max(3, repeats // 4))
    row["rss_mb"] = psutil.Process().memory_info().rss / 2**20
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    row["peak_rss_mb"] = peak_kb / 1024
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}


def machine_info():
    """What the numbers were measured on: date, CPU, versions and the load average."""
    import keras
    import tensorflow as tf

    return common_machine_info(tensorflow=tf.__version__, keras=keras.__version__)


def sizes_arg(text):
    """``--sizes``: comma-separated positive catalogue sizes, e.g. ``100,1000``."""
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 2:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated item counts of at least 2, e.g. 100,1000; got {text!r}"
        )
    return sizes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per measurement")
    parser.add_argument(
        "--sizes", type=sizes_arg, default=list(SIZES), help="comma-separated item counts"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    print(json.dumps(machine_info()), flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for num_items in args.sizes:
            rows.append(bench_size(num_items, args.repeats, workdir))
            record = {"bench": "scale", **rows[-1], "load1": round(os.getloadavg()[0], 2)}
            print(json.dumps(record), flush=True)
    big = rows[-1]
    ratio = big["num_items"] / rows[0]["num_items"]
    growth = {k: round(big[k] / rows[0][k] / ratio, 4) for k in big if "_ms" in k}
    print(
        json.dumps(
            {
                "bench": "scale_summary",
                "cost_growth_over_linear": growth,
                "b1_under_5ms": big["latency_ms_per_shopper_b1"] <= 5.0,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
