"""Slates: SlateQ against the myopic slate, item-DQN top-k and simple baselines; slate
optimisation cost.

Part ``returns`` (5 training seeds by default): on the default slate shop
(``SlateConfig()``: 50 items, k = 4) with the long-term effects on, trains per seed SlateQ
(gamma 0.9, Q-learning target, exact optimiser), the learned myopic slate (the same agent with
gamma 0) and a one-item DQN (``dqrec.train`` on ``VecShopEnv``, default ``TrainConfig``) shown
as its top-k; with the effects off, SlateQ and the learned myopic slate again. Every policy,
with the random, most-popular-k and myopic-oracle slates, is evaluated on the same
``--shoppers`` shoppers of ``BENCHMARK_EVAL_SEED``. JSON lines:
``slates_run`` (one per effects, seed, policy), ``slates_summary`` (mean return over seeds with
a 95% Student-t interval) and ``slates_paired`` (SlateQ minus another policy, seed by seed:
mean difference, its 95% interval, relative gain).

Part ``cost``: seconds per shopper to choose a k = 5 slate for 50, 10^3 and 10^5 items with
each optimiser on a batch of shoppers with random logits and values (the cost does not depend
on training); enumeration only where C(n, 5) is small enough to try; for 10^5 items also
two-tower retrieval (``dqrec.two_tower.retrieve_and_score``, an untrained network: the cost
is the same) of 200 candidates followed by the exact optimiser over them. JSON lines
``slates_cost``.

    python benchmarks/bench_slates.py > benchmarks/results/slates.jsonl   # ~35 min, 2 shared cores
    python benchmarks/bench_slates.py --seeds 1 --steps 20000 --shoppers 200   # a smoke run
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def emit(record):
    print(json.dumps(record), flush=True)


def paired(name, effects, slateq, other, other_name):
    import numpy as np

    from dqrec.metrics import mean_ci

    diff = np.asarray(slateq) - np.asarray(other)
    mean, half = mean_ci(diff) if len(diff) > 1 else (float(diff[0]), float("nan"))
    emit(
        {
            "bench": "slates_paired",
            "effects": effects,
            "policy": name,
            "against": other_name,
            "seeds": len(diff),
            "mean_difference": round(mean, 4),
            "ci_low": None if np.isnan(half) else round(mean - half, 4),
            "ci_high": None if np.isnan(half) else round(mean + half, 4),
            "relative_gain": round(mean / float(np.mean(other)), 4),
        }
    )


def evaluate(results, effects, config, shoppers, name, seed, policy, seconds):
    """Score ``policy`` on the benchmark shoppers; append its mean return; print a run line."""
    from dqrec.seeds import BENCHMARK_EVAL_SEED
    from dqrec.slates.rollout import slate_rollout

    s = slate_rollout(policy, config, shoppers, BENCHMARK_EVAL_SEED)
    results.setdefault(name, []).append(float(s.returns.mean()))
    emit(
        {
            "bench": "slates_run",
            "effects": effects,
            "seed": seed,
            "policy": name,
            "mean_return": round(float(s.returns.mean()), 4),
            "mean_length": round(float(s.lengths.mean()), 3),
            "choices_per_step": round(float(s.clicks.sum() / s.lengths.sum()), 4),
            "clickbait_shown": round(s.clickbait_shown, 4),
            "train_s": round(seconds, 1),
            "load1": round(os.getloadavg()[0], 2),
        }
    )


def returns_part(args):
    import numpy as np

    from dqrec.config import TrainConfig
    from dqrec.metrics import mean_ci
    from dqrec.slates import SlateConfig
    from dqrec.slates.baselines import (
        MyopicOraclePolicy,
        PopularSlatePolicy,
        RandomSlatePolicy,
        TopKQPolicy,
    )
    from dqrec.slates.slateq import SlateQConfig
    from dqrec.slates.train import train_slateq
    from dqrec.train import train

    for effects in ("on", "off"):
        config = SlateConfig().with_shop(long_term_effects=effects == "on")
        k, results = config.slate_size, {}
        run = (results, effects, config, args.shoppers)
        fixed = {
            "random": RandomSlatePolicy(config.shop.num_items, k, seed=0),
            "popular_k": PopularSlatePolicy.fit(config),
            "myopic_oracle": MyopicOraclePolicy(),
        }
        for name, policy in fixed.items():
            evaluate(*run, name, None, policy, 0.0)
        for seed in range(args.seeds):
            for name, gamma in (("slateq", 0.9), ("myopic_slate", 0.0)):
                started = time.perf_counter()
                agent_config = SlateQConfig(gamma=gamma)
                history = train_slateq(config, agent_config, seed=seed, total_steps=args.steps)
                evaluate(*run, name, seed, history.agent, time.perf_counter() - started)
            if effects == "on":
                started = time.perf_counter()
                train_config = TrainConfig(
                    shop=config.shop,
                    seed=seed,
                    total_steps=args.steps,
                    eval_every=0,
                    num_eval_shoppers=100,
                )
                policy = TopKQPolicy(train(train_config).agent, k)
                evaluate(*run, "item_dqn_top_k", seed, policy, time.perf_counter() - started)
        for name, values in results.items():
            mean, half = mean_ci(values) if len(values) > 1 else (values[0], 0.0)
            emit(
                {
                    "bench": "slates_summary",
                    "effects": effects,
                    "policy": name,
                    "seeds": len(values),
                    "mean_return": round(mean, 4),
                    "ci_half_width": round(float(np.nan_to_num(half)), 4),
                }
            )
        n = len(results["slateq"])
        for other, values in results.items():
            if other != "slateq":
                baseline = values if len(values) == n else values * n  # fixed policies: 1 value
                paired("slateq", effects, results["slateq"], baseline, other)


def timed(fn, rows, repeats=3):
    """Best of ``repeats`` wall times of ``fn()``, per row."""
    import math

    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best / rows


def cost_line(num_items, k, method, seconds, note=""):
    emit(
        {
            "bench": "slates_cost",
            "num_items": num_items,
            "k": k,
            "method": method,
            "seconds_per_shopper": seconds,
            "note": note,
        }
    )


def cost_of_size(num_items, k, batch, gen):
    import math

    from dqrec.slates.optimise import METHODS

    logits = gen.normal(size=(batch, num_items))
    q = gen.normal(size=(batch, num_items))
    for method, fn in METHODS.items():
        if method != "enumerate":
            cost_line(num_items, k, method, timed(lambda fn=fn: fn(logits, q, 0.0, k, 1.0), batch))
            continue
        count = math.comb(num_items, k)
        if count > 3_000_000:
            cost_line(num_items, k, method, None, f"C({num_items}, {k}) = {count:.3g} slates")
            continue
        one = (logits[:1], q[:1], 0.0, k, 1.0)
        cost_line(
            num_items,
            k,
            method,
            timed(lambda fn=fn, one=one, n=count: fn(*one, max_slates=n), 1, 1),
        )
    return logits


def cost_of_retrieval(num_items, k, batch, logits):
    import numpy as np

    from dqrec.envs import Catalogue, ShopConfig
    from dqrec.slates.optimise import exact_slates
    from dqrec.two_tower import build_two_tower, retrieve_and_score

    shop = ShopConfig(num_items=num_items, num_categories=50)
    model = build_two_tower(shop, Catalogue.from_config(shop))
    table = model.item_table()
    h = shop.history_len
    row = np.r_[np.full(h, num_items), np.zeros(h), np.zeros(shop.obs_dim - 2 * h)]
    obs = np.tile(row, (batch, 1)).astype(np.float32)  # fresh sessions

    def retrieve_then_exact():
        q_top, items = retrieve_and_score(model, obs, 200, item_table=table)
        items = items.numpy()
        exact_slates(np.take_along_axis(logits, items, 1), q_top.numpy(), 0.0, k, 1.0)

    retrieve_then_exact()  # trace once
    seconds = timed(retrieve_then_exact, batch)
    cost_line(num_items, k, "two_tower_200_then_exact", seconds)


def cost_part(args):
    import numpy as np

    k, batch = 5, 256
    gen = np.random.default_rng(0)
    for num_items in (50, 1_000, 100_000):
        logits = cost_of_size(num_items, k, batch, gen)
    cost_of_retrieval(num_items, k, batch, logits)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("returns", "cost", "both"), default="both")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=80_000, help="env steps of training")
    parser.add_argument("--shoppers", type=int, default=1000, help="evaluation shoppers")
    args = parser.parse_args(argv)
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import keras
    import tensorflow as tf
    from machine import machine_info

    emit(machine_info(tensorflow=tf.__version__, keras=keras.__version__))
    if args.part in ("cost", "both"):
        cost_part(args)
    if args.part in ("returns", "both"):
        returns_part(args)


if __name__ == "__main__":
    main()
