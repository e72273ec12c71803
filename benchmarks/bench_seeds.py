"""Results that hold over seeds: paired differences of DQN variants, seed by seed.

Every variant of a seed is trained with that seed and evaluated on the same fixed evaluation
shoppers (``BENCHMARK_EVAL_SEED``, common random numbers), so "full DQN minus variant" is one
number per seed; the summary puts a 95% Student-t interval over seeds on it. A variant is
"worse" only if its interval lies above zero (full DQN ahead), "better" if below, else "not
distinguished". Three studies, one per ``--part``:

``chapter``   the default shop at one budget (``--budget chapter``: notebook 04's parameters,
              40k steps, epsilon decay 20k, no XLA; ``--budget default``: ``TrainConfig()``,
              100k steps): full DQN against random, myopic (gamma 0) and notebook 04's
              ablations (no target network, no replay, no Double DQN).
``off``       long-term effects off: DQN and myopic at each of ``--steps`` (epsilon decays
              over half the run, as in the defaults), or, with ``--variant``, a change of the
              DQN run (target period, n-step, exploration) at one budget, against the myopic
              run of that budget.
``real``      notebook 06 (real shop data) at the notebook's budget: its rankers on the same
              test baskets and its DQN and baselines in the calibrated shop on the same
              shoppers, per seed (``seeds_real.py``; needs ``DQREC_DATA_DIR``); results go to
              ``benchmarks/results/seeds_real.jsonl``.
``networks``  notebook 03's candidate networks trained as full DQN at the default budget,
              paired against the default network (with ``--skip-default``: the full DQN
              runs of ``--part chapter --budget default``, the same runs), and the CPU
              milliseconds per gradient step of each (default batch, 4 steps per call, on
              replayed random-policy transitions, after compiling).

    python benchmarks/bench_seeds.py --part chapter --budget chapter --seeds 5
    python benchmarks/bench_seeds.py --part off --steps 25000 50000 100000 --seeds 5
    python benchmarks/bench_seeds.py --part off --steps 50000 --variant target_period=1000
    python benchmarks/bench_seeds.py --part networks --seeds 3 --skip-default
    DQREC_DATA_DIR=... python benchmarks/bench_seeds.py --part real --seeds 5 --nstep1

Prints a ``machine`` line first, then one ``seeds_run`` line per trained (or baseline) policy
and seed, one ``seeds_paired`` line per compared pair (chapter and off) and one
``seeds_step_cost`` line per network (networks); append to
``benchmarks/results/seeds.jsonl``.
"""

import argparse
import dataclasses
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

FULL = "full DQN"
# notebook 04's parameters cell (the chapter budget)
CHAPTER = {"total_steps": 40_000, "epsilon_decay_steps": 20_000}
# notebook 03's ``candidates`` cell: (encoder, head)
CANDIDATES = {
    "mlp, dense": ("mlp", "dense"),
    "pooled, dense": ("pooled", "dense"),
    "pooled, item": ("pooled", "item"),
    "gru, item": ("gru", "item"),
}
DEFAULT_NETWORK = "pooled, item"
# changes of the DQN run that --variant accepts (the explanations issue 11 names)
VARIANT_KEYS = {
    "target_period": "agent",
    "n_steps": "agent",
    "double_dqn": "agent",
    "epsilon_decay_steps": "train",
    "epsilon_end": "train",
    "epsilon_start": "train",
    "learning_starts": "train",
    "gradient_steps": "train",
    "lr": "agent",
    "gamma": "agent",
}


def emit(line):
    print(json.dumps(line), flush=True)


def base_config(budget, steps=None, effects=True, seed=0):
    from dqrec.config import AgentConfig, TrainConfig
    from dqrec.envs import ShopConfig

    shop = ShopConfig(long_term_effects=effects)
    # training's own evaluation is not used: one shopper at the end keeps it cheap
    common = {"seed": seed, "shop": shop, "eval_every": 0, "num_eval_shoppers": 1}
    if budget == "chapter":
        return TrainConfig(**CHAPTER, agent=AgentConfig(jit_compile=False), **common)
    if steps is None:
        return TrainConfig(**common)
    return TrainConfig(total_steps=steps, epsilon_decay_steps=steps // 2, **common)


def chapter_variants(config):
    from dqrec.compare import myopic_config

    recent = config.num_envs * config.train_every  # the last 64 steps of the 32 shoppers
    agent = config.agent
    return {
        FULL: config,
        "myopic (gamma = 0)": myopic_config(config),
        "no target network": config.replace(agent=dataclasses.replace(agent, target_period=1)),
        "no replay": config.replace(replay_capacity=recent, learning_starts=recent),
        "no Double DQN": config.replace(agent=dataclasses.replace(agent, double_dqn=False)),
    }


def parse_variant(text):
    """``"key=value,key=value"`` -> ``{key: value}`` with numbers and booleans parsed."""
    changes = {}
    for item in text.split(","):
        key, _, raw = item.partition("=")
        if key not in VARIANT_KEYS or not raw:
            raise SystemExit(
                f"bench_seeds: --variant {item!r}: expected key=value with key one of "
                f"{', '.join(VARIANT_KEYS)}"
            )
        value = {"true": True, "false": False}.get(raw.lower())
        if value is None:
            value = float(raw) if "." in raw or "e" in raw else int(raw)
        changes[key] = value
    return changes


def apply_variant(config, changes):
    agent = {k: v for k, v in changes.items() if VARIANT_KEYS[k] == "agent"}
    train = {k: v for k, v in changes.items() if VARIANT_KEYS[k] == "train"}
    return config.replace(agent=dataclasses.replace(config.agent, **agent), **train)


def train_and_evaluate(config, shoppers):
    """``(EvalResult on the benchmark shoppers, wall seconds, CPU seconds, gradient steps)``."""
    from dqrec.evaluate import evaluate_policy
    from dqrec.seeds import BENCHMARK_EVAL_SEED
    from dqrec.train import train

    wall, cpu = time.perf_counter(), time.process_time()
    history = train(config)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = evaluate_policy(history.agent, config.shop, shoppers, BENCHMARK_EVAL_SEED)
    return result, wall, cpu, int(history.agent.gradient_steps)


def run_line(study, name, seed, result, **extra):
    return {
        "bench": "seeds_run",
        **study,
        "variant": name,
        "seed": seed,
        "mean_return": result.mean_return,
        "return_ci": result.return_ci,
        "session_length": result.session_length,
        "load1": round(os.getloadavg()[0], 2),
        **extra,
    }


def paired_line(study, first, second, values_first, values_second):
    """Summary of ``first - second`` over seeds (both dicts seed -> mean return)."""
    from dqrec.metrics import mean_ci

    seeds = sorted(set(values_first) & set(values_second))
    diffs = [values_first[s] - values_second[s] for s in seeds]
    mean, half = mean_ci(diffs)
    if len(diffs) < 2:
        verdict = "one seed"
    elif mean - half > 0:
        verdict = "first ahead"
    elif mean + half < 0:
        verdict = "second ahead"
    else:
        verdict = "not distinguished"
    return {
        "bench": "seeds_paired",
        **study,
        "first": first,
        "second": second,
        "seeds": len(diffs),
        "diff_mean": mean,
        "ci95": None if half != half else half,
        "first_ahead_on": sum(d > 0 for d in diffs),
        "per_seed": diffs,
        "verdict": verdict,
    }


def study_chapter(args):
    from dqrec.baselines import RandomPolicy
    from dqrec.evaluate import evaluate_policy
    from dqrec.seeds import BENCHMARK_EVAL_SEED

    returns = {}
    study = {"part": "chapter", "budget": args.budget, "long_term_effects": True}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        config = base_config(args.budget, seed=seed)
        study["total_steps"] = config.total_steps
        random_result = evaluate_policy(
            RandomPolicy(config.shop.num_items, seed=seed),
            config.shop,
            args.shoppers,
            BENCHMARK_EVAL_SEED,
        )
        returns.setdefault("random", {})[seed] = random_result.mean_return
        emit(run_line(study, "random", seed, random_result))
        for name, variant in chapter_variants(config).items():
            result, wall, cpu, _ = train_and_evaluate(variant, args.shoppers)
            returns.setdefault(name, {})[seed] = result.mean_return
            emit(run_line(study, name, seed, result, train_seconds=round(wall, 1)))
    for name, values in returns.items():
        if name != FULL:
            emit(paired_line(study, FULL, name, returns[FULL], values))


def study_off(args):
    changes = parse_variant(args.variant) if args.variant else {}
    for steps in args.steps:
        study = {"part": "off", "budget": "steps", "long_term_effects": False}
        study["total_steps"] = steps
        name = "DQN" + (f" ({args.variant})" if changes else "")
        returns = {"myopic (gamma = 0)": {}, name: {}}
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            config = base_config("steps", steps, effects=False, seed=seed)
            runs = {name: apply_variant(config, changes)}
            if not args.no_myopic:
                runs["myopic (gamma = 0)"] = chapter_variants(config)["myopic (gamma = 0)"]
            for run_name, run_config in runs.items():
                result, wall, cpu, _ = train_and_evaluate(run_config, args.shoppers)
                returns[run_name][seed] = result.mean_return
                emit(run_line(study, run_name, seed, result, train_seconds=round(wall, 1)))
        if not args.no_myopic:
            emit(paired_line(study, name, "myopic (gamma = 0)", returns[name], returns[
                "myopic (gamma = 0)"]))  # fmt: skip


def gradient_step_cpu_ms(config, calls=25):
    """CPU milliseconds per gradient step of ``config``'s agent on replayed random-policy
    transitions (the default batch and steps per call), after the first (compiling) call."""
    import numpy as np

    from dqrec.envs import VecShopEnv
    from dqrec.replay import ReplayBuffer
    from dqrec.train import make_agent

    env = VecShopEnv(config.shop, config.num_envs, config.seed)
    obs, _ = env.reset(seed=config.seed)
    replay = ReplayBuffer(4096, config.shop.obs_dim)
    rng = np.random.default_rng(config.seed)
    gamma = np.full(config.num_envs, config.agent.gamma, np.float32)
    for _ in range(4096 // config.num_envs):
        actions = rng.integers(0, config.shop.num_items, config.num_envs)
        next_obs, rewards, terminated, truncated, info = env.step(actions)
        replay.add(obs, actions, rewards, info["final_obs"], terminated, truncated, gamma)
        obs = next_obs
    agent = make_agent(config, config.shop.obs_dim, config.shop.num_items)
    batches = [
        replay.sample_many(config.gradient_steps, config.agent.batch_size, rng)
        for _ in range(calls + 1)
    ]
    agent.train_steps(batches[0])  # compiles
    cpu = time.process_time()
    for batch in batches[1:]:
        agent.train_steps(batch)
    return 1000 * (time.process_time() - cpu) / (calls * config.gradient_steps)


def study_networks(args):
    study = {"part": "networks", "budget": "default", "long_term_effects": True}
    config = base_config("default")
    names = [n for n in CANDIDATES if not (args.skip_default and n == DEFAULT_NETWORK)]
    cost = {}
    for name, (encoder, head) in CANDIDATES.items():
        network = dataclasses.replace(config.network, encoder=encoder, head=head)
        cost[name] = gradient_step_cpu_ms(config.replace(network=network))
        emit(
            {
                "bench": "seeds_step_cost",
                "variant": name,
                "batch_size": config.agent.batch_size,
                "steps_per_call": config.gradient_steps,
                "cpu_ms_per_gradient_step": round(cost[name], 3),
                "load1": round(os.getloadavg()[0], 2),
            }
        )
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        config = base_config("default", seed=seed)
        study["total_steps"] = config.total_steps
        for name in names:
            encoder, head = CANDIDATES[name]
            network = dataclasses.replace(config.network, encoder=encoder, head=head)
            result, wall, cpu, steps = train_and_evaluate(
                config.replace(network=network), args.shoppers
            )
            emit(
                run_line(
                    study,
                    name,
                    seed,
                    result,
                    train_seconds=round(wall, 1),
                    cpu_seconds=round(cpu, 1),
                    gradient_steps=steps,
                )
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("chapter", "off", "networks", "real"), required=True)
    parser.add_argument("--budget", choices=("chapter", "default"), default="default")
    parser.add_argument("--steps", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    parser.add_argument("--variant", default="", help="e.g. target_period=1000,n_steps=3")
    parser.add_argument("--no-myopic", action="store_true", help="part off: DQN runs only")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--shoppers", type=int, default=1000, help="evaluation shoppers")
    parser.add_argument(
        "--skip-default",
        action="store_true",
        help="part networks: do not retrain the default network (the full DQN runs of "
        "--part chapter --budget default with the same seeds are the same runs)",
    )
    parser.add_argument(
        "--nstep1", action="store_true", help="part real: also train DQN with 1-step targets"
    )
    parser.add_argument("--no-machine", action="store_true", help="omit the machine line")
    args = parser.parse_args(argv)
    if args.seeds < 1 or any(s < 1 for s in args.steps):
        parser.error(f"--seeds and --steps must be positive, got {args.seeds}, {args.steps}")
    if args.variant:
        parse_variant(args.variant)  # a bad variant stops before anything trains
    if not args.no_machine:
        import tensorflow as tf
        from machine import machine_info

        emit(machine_info(tensorflow=tf.__version__))
    if args.part == "real":
        from seeds_real import study_real

        study_real(args, emit)
        return 0
    {"chapter": study_chapter, "off": study_off, "networks": study_networks}[args.part](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
