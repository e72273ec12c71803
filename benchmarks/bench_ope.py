"""Bias, spread and RMSE of off-policy estimators against the simulator's ground truth.

Run: ``python benchmarks/bench_ope.py`` (about 6 minutes on two CPU cores; ``--quick`` for a
smoke run). The logging and target policies are ``dqrec.ope_sim.default_policies``; the truth
is an on-policy simulation of ``--truth-sessions`` sessions of the target policy. For each
number of logged sessions, ``--repeats`` independent logs (seeds) are drawn and every
estimator of ``dqrec.ope_sim.estimate_all`` is computed. Prints one JSON line per
(estimator, num_sessions): {"bench": "ope", "estimator", "num_sessions", "bias", "std",
"rmse", "true_value", "repeats"}. Estimators named ``first_*`` estimate the expected reward of
the first recommendation; the others the mean return of a whole session.
"""

import argparse
import json

import numpy as np

from dqrec.envs import ShopConfig
from dqrec.ope_sim import collect_logs, default_policies, estimate_all, true_value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--truth-sessions", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeats, args.truth_sessions = [100, 300], 3, 2000
    config = ShopConfig()
    logging_policy, target_policy = default_policies(config)
    truth = true_value(config, target_policy, args.truth_sessions, seed=1)
    for num_sessions in args.sizes:
        runs = [
            estimate_all(
                collect_logs(config, logging_policy, num_sessions, 1000 + r), target_policy, config
            )
            for r in range(args.repeats)
        ]
        for name in runs[0]:
            true = truth.first_reward if name.startswith("first_") else truth.session_return
            errors = np.array([run[name] for run in runs]) - true
            print(
                json.dumps(
                    {
                        "bench": "ope",
                        "estimator": name,
                        "num_sessions": num_sessions,
                        "bias": round(float(errors.mean()), 5),
                        "std": round(float(errors.std()), 5),
                        "rmse": round(float(np.sqrt(np.mean(errors**2))), 5),
                        "true_value": round(float(true), 5),
                        "repeats": args.repeats,
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
