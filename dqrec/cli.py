"""Command line: ``python -m dqrec train | evaluate | recommend``. Parsing and printing only.

Exit codes: 0 success; 2 usage error (unknown or malformed option, invalid config value);
1 any other failure (a missing or corrupt model or checkpoint). Every error is one line on
stderr naming the bad value; no traceback.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from dqrec.seeds import BENCHMARK_EVAL_SEED


class UsageError(Exception):
    """Bad command-line input: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dqrec", description="Deep Q-learning for e-commerce recommendation.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = sub.add_parser(
        "train",
        help="train DQN and the myopic baseline; compare baselines",
        description="Train DQN and the myopic baseline (the same network "
        "with gamma = 0) on the shop simulator, then evaluate both and the "
        "random, most-popular and oracle baselines on fresh shoppers.",
    )
    train.add_argument("--out", default="runs/default", help="output folder (default: %(default)s)")
    train.add_argument("--total-steps", type=int, default=None, help="environment steps")
    train.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    train.add_argument("--encoder", choices=("pooled", "gru"), default="pooled")
    train.add_argument(
        "--no-dueling", action="store_true", help="a plain Q head instead of the dueling one"
    )
    train.add_argument("--gamma", type=float, default=None, help="discount factor")
    train.add_argument(
        "--no-long-term-effects",
        action="store_true",
        help="turn the simulator's long-term effects off",
    )
    train.add_argument("--eval-shoppers", type=int, default=1000, help="evaluation shoppers")
    train.add_argument("--checkpoint-every", type=int, default=None, help="environment steps")
    train.add_argument("--no-resume", action="store_true", help="ignore existing checkpoints")
    train.add_argument("--tensorboard", default=None, help="TensorBoard log folder")
    train.add_argument(
        "--skip-myopic", action="store_true", help="do not train the myopic baseline"
    )
    train.add_argument("--progress", action="store_true", help="show a progress bar")

    evaluate = sub.add_parser(
        "evaluate",
        help="score a saved model against the baselines",
        description="Evaluate a saved model on fresh evaluation shoppers "
        "(a seed unseen in training) against the baselines.",
    )
    evaluate.add_argument("model", help="a .keras file written by `dqrec train`")
    evaluate.add_argument("--myopic", default=None, help="a saved myopic model to include")
    evaluate.add_argument("--shoppers", type=int, default=1000, help="evaluation shoppers")
    evaluate.add_argument("--seed", type=int, default=BENCHMARK_EVAL_SEED, help="evaluation seed")

    recommend = sub.add_parser(
        "recommend",
        help="top-k items for a shopper's recent history",
        description="Print the top-k items by Q-value for a shopper "
        "whose session so far is --history.",
    )
    recommend.add_argument(
        "model",
        help="a .keras file written by `dqrec train`, or a "
        "SavedModel folder written by dqrec.serving.export_saved_model",
    )
    recommend.add_argument(
        "--history",
        default="",
        help="comma-separated ITEM:FEEDBACK pairs, oldest first, FEEDBACK one "
        "of skip, click, purchase (e.g. 12:click,40:skip)",
    )
    recommend.add_argument("-k", "--top-k", type=int, default=5, help="items to list")
    return parser


def parse_history(text: str) -> tuple[list[int], list[int]]:
    """``"12:click,40:skip"`` -> ``([12, 40], [2, 1])``; raises ``UsageError`` when malformed."""
    from dqrec.envs.codec import FEEDBACK_WORDS  # NumPy only; kept out of --help

    items, feedback = [], []
    for part in filter(None, (p.strip() for p in text.split(","))):
        item, sep, word = part.partition(":")
        if not sep or not item.strip().isdigit() or word.strip().lower() not in FEEDBACK_WORDS:
            raise UsageError(
                f"--history entry {part!r} is not ITEM:FEEDBACK with ITEM a "
                f"non-negative integer and FEEDBACK one of {', '.join(FEEDBACK_WORDS)}"
            )
        items.append(int(item))
        feedback.append(FEEDBACK_WORDS[word.strip().lower()])
    return items, feedback


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = _missing_input(args)
    if missing:  # answered at once, before TensorFlow (seconds to import) is loaded
        print(f"error: {missing}", file=sys.stderr)
        return 1
    from dqrec.checkpoint import CheckpointError, ModelFileError
    from dqrec.config import ConfigError
    from dqrec.quiet_tf import import_tensorflow

    try:
        import_tensorflow()  # without the start-up log lines some CPUs get
        return {"train": _train, "evaluate": _evaluate, "recommend": _recommend}[args.command](args)
    except (UsageError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (CheckpointError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "interrupted; rerun the same command to resume from the last checkpoint",
            file=sys.stderr,
        )
        return 130


def _missing_input(args) -> str | None:
    """The first model file named on the command line that does not exist, as a message."""
    paths = [getattr(args, "model", None), getattr(args, "myopic", None)]  # evaluate, recommend
    for path in filter(None, paths):
        if not os.path.exists(path):
            return f"model file {path} does not exist"
    return None


def _train(args) -> int:
    import dataclasses

    from dqrec.checkpoint import save_model
    from dqrec.config import ShopConfig, TrainConfig
    from dqrec.runs import compare_policies, format_table, train_myopic

    defaults = TrainConfig()
    agent = (
        defaults.agent
        if args.gamma is None
        else dataclasses.replace(defaults.agent, gamma=args.gamma)
    )
    network = dataclasses.replace(
        defaults.network, encoder=args.encoder, dueling=not args.no_dueling
    )
    out = Path(args.out)
    changes = dict(
        shop=ShopConfig(long_term_effects=not args.no_long_term_effects),
        agent=agent,
        network=network,
        seed=args.seed,
        num_eval_shoppers=args.eval_shoppers,
        checkpoint_dir=str(out / "checkpoints" / "dqn"),
        tensorboard_dir=args.tensorboard,
        progress=args.progress,
    )
    if args.total_steps is not None:
        changes["total_steps"] = args.total_steps
    if args.checkpoint_every is not None:
        changes["checkpoint_every"] = args.checkpoint_every
    config = TrainConfig(**changes)
    if config.tensorboard_dir is not None and not isinstance(args.tensorboard, str):
        raise UsageError(f"--tensorboard must be a folder, got {args.tensorboard!r}")

    from dqrec.train import train

    print(f"training DQN for {config.total_steps} steps (seed {config.seed}) ...", flush=True)
    history = train(config, resume=not args.no_resume)
    save_model(history.agent.online, out / "dqn.keras", overwrite=True)
    models = {"DQN": history.agent}
    if not args.skip_myopic:
        print("training the myopic baseline (gamma = 0) ...", flush=True)
        myopic = train_myopic(config, resume=not args.no_resume)
        save_model(myopic.agent.online, out / "myopic.keras", overwrite=True)
        models["myopic (gamma=0)"] = myopic.agent
    results = compare_policies(
        models, config.shop, config.num_eval_shoppers, seed=BENCHMARK_EVAL_SEED
    )
    print(format_table(results, config.shop))
    _write_json(
        out / "results.json",
        {
            "config": json.loads(json.dumps(dataclasses.asdict(config))),
            "history": history.to_dict(),
            "results": {name: r.to_dict() for name, r in results.items()},
        },
    )
    print(f"saved {out / 'dqn.keras'} and {out / 'results.json'}")
    return 0


def _evaluate(args) -> int:
    from dqrec.baselines import GreedyQPolicy
    from dqrec.checkpoint import load_model
    from dqrec.runs import compare_policies, format_table, shop_config_of

    if args.shoppers < 1:
        raise UsageError(f"--shoppers must be >= 1, got {args.shoppers}")
    model = load_model(args.model)
    shop = shop_config_of(model, args.model)
    models = {"DQN": GreedyQPolicy(model)}
    if args.myopic:
        models["myopic (gamma=0)"] = GreedyQPolicy(load_model(args.myopic))
    results = compare_policies(models, shop, args.shoppers, seed=args.seed)
    print(format_table(results, shop))
    return 0


def _recommend(args) -> int:
    import numpy as np

    from dqrec.baselines import GreedyQPolicy
    from dqrec.checkpoint import load_model
    from dqrec.envs import observation_from_history
    from dqrec.runs import shop_config_of

    if args.top_k < 1:
        raise UsageError(f"--top-k must be >= 1, got {args.top_k}")
    items, feedback = parse_history(args.history)
    exported = (Path(args.model) / "saved_model.pb").is_file()  # from dqrec.serving
    if exported:
        from dqrec.serving import load_saved_model

        model = load_saved_model(args.model)
        shop = model.shop_config()
        if args.top_k > model.k:
            raise UsageError(f"--top-k must be <= the export's k = {model.k}, got {args.top_k}")
    else:
        model = load_model(args.model)
        shop = shop_config_of(model, args.model)
    if args.top_k > shop.num_items:
        raise UsageError(
            f"--top-k must be <= the catalogue size {shop.num_items}, got {args.top_k}"
        )
    bad = [i for i in items if i >= shop.num_items]
    if bad:
        raise UsageError(
            f"--history item {bad[0]} is not in the catalogue [0, {shop.num_items - 1}]"
        )
    obs = observation_from_history(shop, items, feedback)[None, :]  # (1, obs_dim)
    if exported:
        h = shop.history_len
        top, top_q = model.recommend(obs[:, :h], obs[:, h : 2 * h], obs[:, 2 * h :])
        top, top_q = top[0, : args.top_k], top_q[0, : args.top_k]
    else:
        q_values = GreedyQPolicy(model).q_values(obs)[0]  # (num_items,)
        top = np.argsort(-q_values, kind="stable")[: args.top_k]
        top_q = q_values[top]
    print(f"{'rank':>4}  {'item':>5}  {'Q-value':>8}")
    for rank, (item, q) in enumerate(zip(top, top_q, strict=True), 1):
        print(f"{rank:>4}  {item:>5}  {q:>8.4f}")
    return 0


def _write_json(path: Path, data) -> None:
    from dqrec.checkpoint import _atomic_write

    _atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(data, indent=2)))
