"""Offline next-basket ranking on UCI Online Retail: baselines, the supervised sequential
backbone, the Q-augmented model (SQN + CQL) and the old offline Q-network, over seeds.

    DQREC_DATA_DIR=/work/shared/data python benchmarks/bench_offline.py \\
        > benchmarks/results/offline.jsonl            # 5 seeds, test split (~10 min, 2 cores)
    python benchmarks/bench_offline.py --split validation --seeds 2 --rank-q-weights 0 0.1 0.3

The split is notebook 06's: all cleaned customers, train strictly before 2011-10-01, test
after; catalogue of the 300 most bought items (+ "other"), histories of 10 purchases. The
cases and metrics are ``dqrec.offline.next_basket_cases`` / ``metrics_table``: one case per
test basket, relevant = the basket's catalogue items, HR@10 and NDCG@10. ``value@10`` is the
mean over cases of the mean train-time line revenue (GBP) of the 10 recommended items.

Hyperparameters were chosen with ``--split validation`` (train before 2011-08-01, validation
baskets from 2011-08-01 to 2011-10-01, both inside the training period), never on the test
baskets. Every seed changes the network initialisation and mini-batches (and the random
ranking); the data and split are fixed. One JSON line per (method, seed), then one summary line
per method with the mean over seeds and a 95% Student-t interval (``dqrec.metrics.mean_ci``);
the first line describes the machine and the run.
"""

import argparse
import json
import os
import time

from machine import machine_info

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CUTOFF = "2011-10-01"  # notebook 06's time split
VALIDATION_CUTOFF = "2011-08-01"  # carved from the training period for tuning
TOP_N, K = 300, 10


def emit(record):
    record["load1"] = round(os.getloadavg()[0], 2)
    print(json.dumps(record), flush=True)


def prepare(split, history_len):
    """Everything the rankers need for ``split`` ("test" or "validation")."""
    import numpy as np
    import pandas as pd

    import dqrec.data as data
    from dqrec import offline, sqn

    clean, _ = data.clean_online_retail(data.load_online_retail())
    train, test = data.time_split(clean, CUTOFF)
    cutoff = CUTOFF
    if split == "validation":
        train, test = data.time_split(train, VALIDATION_CUTOFF)
        cutoff = VALIDATION_CUTOFF
    catalogue = data.ItemVocabulary.from_events(train, TOP_N)
    episodes_train = data.build_episodes(train)
    logged = sqn.logged_transitions(episodes_train, catalogue, history_len, reward="value")
    episodes_all = data.build_episodes(pd.concat([train, test], ignore_index=True))
    cases = offline.next_basket_cases(episodes_all, catalogue, history_len, cutoff)
    popularity = data.popularity_scores(train, catalogue)
    own = offline.own_purchase_scores(episodes_all, catalogue, cutoff, popularity)
    assert len(own) == len(cases.obs), "own_purchase_scores follows next_basket_cases"
    events = data.retail_events(train)
    ids = catalogue.encode(events["item"])
    revenue = np.bincount(ids, events["value"].to_numpy(float), catalogue.num_items)
    item_value = revenue / np.maximum(np.bincount(ids, minlength=catalogue.num_items), 1)
    return {
        "catalogue": catalogue,
        "logged": logged,
        "cases": cases,
        "popularity": popularity,
        "copurchase": data.copurchase_scores(train, catalogue),
        "own": own,
        "item_value": item_value,  # (num_items,) mean line revenue per catalogue item, GBP
        "history_len": history_len,
        "train_rows": len(train),
        "test_rows": len(test),
    }


def evaluate(d, scores):
    """HR@10, NDCG@10 and value@10 of a score matrix ``(n, num_items)``."""
    import numpy as np

    from dqrec import offline

    catalogue = d["catalogue"]
    ranked = offline.rank_items(scores, K, exclude=[catalogue.other])
    table = offline.metrics_table({"m": ranked}, d["cases"].relevant, [K], catalogue.other)
    row = table.loc[("m", K)]
    return {
        "hr@10": float(row["hit_rate"]),
        "ndcg@10": float(row["ndcg"]),
        "value@10": float(np.mean(d["item_value"][ranked])),
        "coverage@10": float(row["coverage"]),
    }


def run_seed(d, seed, args):
    """Yield (method, metrics, seconds) for every method and one seed."""
    import numpy as np

    from dqrec import offline, sequential, sqn
    from dqrec.config import AgentConfig, NetworkConfig

    cases, catalogue, n = d["cases"], d["catalogue"], len(d["cases"].obs)
    history_len = d["history_len"]
    net = sequential.SequentialConfig(
        encoder=args.encoder,
        embedding_dim=args.embedding_dim,
        hidden_units=(args.hidden,),
        repeat=not args.no_repeat,
        lr=args.lr,
        num_steps=args.steps,
    )
    methods = set(args.methods)
    if "random" in methods:
        scores = np.random.default_rng(seed).random((n, catalogue.num_items))
        yield "random", evaluate(d, scores), 0.0
    if seed == 0:  # deterministic baselines: the same numbers for every seed
        if "popularity" in methods:
            yield "popularity", evaluate(d, np.tile(d["popularity"], (n, 1))), 0.0
        if "co-purchase" in methods:
            scores = offline.copurchase_ranking_scores(
                d["copurchase"], cases.obs, history_len, d["popularity"]
            )
            yield "co-purchase", evaluate(d, scores), 0.0
        if "own purchases" in methods:
            yield "own purchases", evaluate(d, d["own"]), 0.0
    if "backbone" in methods:
        start = time.perf_counter()
        model, _ = sequential.fit_sequential(
            d["logged"], catalogue.num_items, history_len, net, seed
        )
        seconds = time.perf_counter() - start
        yield "backbone", evaluate(d, sequential.next_item_scores(model, cases.obs)), seconds
    if "sqn" in methods:
        config = sqn.SQNConfig(network=net, gamma=args.gamma, cql_weight=args.cql)
        start = time.perf_counter()
        result = sqn.fit_sqn(d["logged"], catalogue.num_items, history_len, config, seed)
        seconds = time.perf_counter() - start
        extra = {"max_abs_q": float(result.max_abs_q.max()), "q_bound": result.bound}
        for weight in args.rank_q_weights:
            scores = sqn.ranking_scores(result.model, cases.obs, weight)
            name = "SQN+CQL" if weight == 0 else f"SQN+CQL, logits + {weight:g} Q"
            yield name, {**evaluate(d, scores), **extra}, seconds
    if "offline Q-network" in methods:
        start = time.perf_counter()
        agent, _ = offline.fit_offline_q(
            d["logged"],
            catalogue.num_items,
            history_len,
            AgentConfig(gamma=args.gamma, n_steps=1, batch_size=256, target_period=100),
            NetworkConfig(embedding_dim=32, hidden_units=(64,)),
            args.steps,
            seed=seed,
        )
        seconds = time.perf_counter() - start
        scores = agent.q_values(cases.obs)
        extra = {"max_abs_q": float(np.abs(scores).max())}
        yield "offline Q-network", {**evaluate(d, scores), **extra}, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    parser.add_argument("--seeds", type=int, default=5)
    all_methods = [
        "random",
        "popularity",
        "co-purchase",
        "own purchases",
        "backbone",
        "sqn",
        "offline Q-network",
    ]
    parser.add_argument("--methods", nargs="+", default=all_methods, choices=all_methods)
    parser.add_argument("--history-len", type=int, default=50, help="purchases in a state")
    parser.add_argument("--encoder", default="pooled", choices=("pooled", "gru", "attention"))
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--no-repeat", action="store_true", help="drop the copy term")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--steps", type=int, default=800, help="gradient steps per network")
    parser.add_argument("--gamma", type=float, default=0.5)
    parser.add_argument("--cql", type=float, default=0.1, help="SQNConfig.cql_weight")
    parser.add_argument("--rank-q-weights", type=float, nargs="+", default=[0.0, 0.3])
    args = parser.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    from dqrec.metrics import mean_ci

    print(json.dumps(machine_info(tensorflow=tf.__version__)), flush=True)
    started = time.perf_counter()
    d = prepare(args.split, args.history_len)
    emit(
        {
            "bench": "offline",
            "kind": "run",
            "split": args.split,
            "args": {k: v for k, v in vars(args).items() if k != "methods"},
            "train_rows": d["train_rows"],
            "test_rows": d["test_rows"],
            "cases": len(d["cases"].obs),
            "transitions": len(d["logged"].action),
            "prepare_s": round(time.perf_counter() - started, 1),
        }
    )
    per_method = {}
    for seed in range(args.seeds):
        for method, result, seconds in run_seed(d, seed, args):
            per_method.setdefault(method, []).append(result)
            record = {"bench": "offline", "kind": "seed", "split": args.split, "method": method}
            record.update(seed=seed, train_s=round(seconds, 1))
            emit({**record, **{k: round(v, 5) for k, v in result.items()}})
    for method, results in per_method.items():
        summary = {"bench": "offline", "kind": "summary", "split": args.split, "method": method}
        summary["seeds"] = len(results)
        for key in ("hr@10", "ndcg@10", "value@10"):
            values = np.array([r[key] for r in results])
            if len(values) > 1:
                mean, half = mean_ci(values)
            else:  # a deterministic ranker: the same on every seed
                mean, half = float(values[0]), 0.0
            summary[key] = round(mean, 5)
            summary[key + "_ci95"] = round(half, 5)
        emit(summary)
    emit({"bench": "offline", "kind": "total", "wall_s": round(time.perf_counter() - started, 1)})


if __name__ == "__main__":
    main()
