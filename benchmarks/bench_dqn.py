"""DQN against every baseline on the default shop, over several training seeds.

For each setting of the simulator's long-term effects (on, off) and each training seed,
trains DQN and the myopic baseline (the same network with gamma = 0) with the default
``TrainConfig``, then evaluates them with the random, most-popular and oracle baselines on
one fixed set of fresh evaluation shoppers. Prints one JSON line per (setting, seed,
policy) and one summary line per (setting, policy): the mean over seeds of the mean return
with a 95% Student-t confidence interval over seeds.

    python benchmarks/bench_dqn.py                 # 5 seeds, both settings (~30-40 min)
    python benchmarks/bench_dqn.py --seeds 2 --effects on
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--effects", choices=("on", "off", "both"), default="both")
    parser.add_argument("--shoppers", type=int, default=2000, help="evaluation shoppers")
    parser.add_argument("--total-steps", type=int, default=None)
    args = parser.parse_args(argv)

    from dqrec.compare import compare_policies, train_myopic
    from dqrec.config import TrainConfig
    from dqrec.envs import ShopConfig
    from dqrec.metrics import mean_ci
    from dqrec.seeds import BENCHMARK_EVAL_SEED
    from dqrec.train import train

    settings = {"on": [True], "off": [False], "both": [True, False]}[args.effects]
    for effects in settings:
        per_policy = {}
        for seed in range(args.seeds):
            config = TrainConfig(shop=ShopConfig(long_term_effects=effects), seed=seed)
            if args.total_steps:
                config = config.replace(total_steps=args.total_steps)
            started = time.perf_counter()
            dqn = train(config)
            myopic = train_myopic(config)
            seconds = time.perf_counter() - started
            results = compare_policies(
                {"dqn": dqn.agent, "myopic": myopic.agent},
                config.shop,
                args.shoppers,
                seed=BENCHMARK_EVAL_SEED,
            )
            for name, result in results.items():
                per_policy.setdefault(name, []).append(result.mean_return)
                print(
                    json.dumps(
                        {
                            "bench": "dqn_vs_baselines",
                            "long_term_effects": effects,
                            "seed": seed,
                            "policy": name,
                            **result.to_dict(),
                            "train_seconds_dqn_and_myopic": round(seconds, 1),
                        }
                    ),
                    flush=True,
                )
        for name, values in per_policy.items():
            mean, half = mean_ci(values)
            print(
                json.dumps(
                    {
                        "bench": "dqn_vs_baselines_summary",
                        "long_term_effects": effects,
                        "policy": name,
                        "seeds": len(values),
                        "mean_return": mean,
                        "ci95": half,
                        "per_seed": values,
                    }
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
