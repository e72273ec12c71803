"""Command line: ``python -m dqrec train | evaluate | recommend``. Parsing and printing only.

Exit codes: 0 success; 2 usage error (unknown or malformed option, invalid config value, an
output path that cannot be used, a size that cannot fit in memory); 1 any other failure (a
missing, corrupt or mismatched model or checkpoint, an output folder in use by another run, a
file that cannot be written). Every error is one line on stderr naming the bad value or file
and what was expected; no traceback.

Everything that can be checked without TensorFlow is checked before it is imported (seconds):
the options, the output folder (and its lock), and what a model file says about itself.

Trust: ``.keras`` files are loaded in Keras safe mode (no code in the file runs). A SavedModel
export is a TensorFlow graph, and running it can do whatever its operations do (read and
write files, for one); ``recommend`` loads one only when ``--saved-model`` says so, never
because a folder looks like one. Load only exports you made or trust.
"""

import argparse
import json
import sys
import warnings
from pathlib import Path

from dqrec.seeds import BENCHMARK_EVAL_SEED

MAX_SEED = 2**31 - 1  # the seeds of the simulator and of TrainConfig
TRUST_NOTE = (
    "Loading a SavedModel runs the TensorFlow graph stored in it, which can do anything its "
    "operations can (read or write files, for one): pass only exports you made or trust. "
    "TF Serving users serve the export with tensorflow_model_server instead of this command, "
    "under the same rule: serve only exports from a trusted source."
)


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
        "random, most-popular and oracle baselines on fresh shoppers. One run at a time "
        "writes an output folder (a lock file .dqrec.lock holds the owner's pid).",
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
        "whose session so far is --history. MODEL is a .keras file (loaded in Keras safe "
        "mode), or, with --saved-model, a SavedModel export. " + TRUST_NOTE,
    )
    recommend.add_argument(
        "model",
        help="a .keras file written by `dqrec train`; with --saved-model, a SavedModel "
        "folder written by dqrec.serving.export_saved_model",
    )
    recommend.add_argument(
        "--saved-model",
        action="store_true",
        help="MODEL is a SavedModel export (trusted exports only: loading one runs its graph)",
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
        item = item.strip()
        ok_item = item.isascii() and item.isdigit()  # not "²", which str.isdigit() accepts
        if not sep or not ok_item or word.strip().lower() not in FEEDBACK_WORDS:
            raise UsageError(
                f"--history entry {part!r} is not ITEM:FEEDBACK with ITEM a "
                f"non-negative integer and FEEDBACK one of {', '.join(FEEDBACK_WORDS)}"
            )
        items.append(int(item))
        feedback.append(FEEDBACK_WORDS[word.strip().lower()])
    return items, feedback


def exit_code(exc: BaseException) -> int | None:
    """The exit code for an error the command line reports in one line (None: a bug)."""
    from dqrec.checkpoint import CheckpointError, ModelFileError, OutputWriteError
    from dqrec.config import ConfigError
    from dqrec.outputs import OutputPathError, RunLockedError

    if isinstance(exc, UsageError | ConfigError | OutputPathError):
        return 2
    if isinstance(exc, CheckpointError | ModelFileError | RunLockedError | OutputWriteError):
        return 1
    data = sys.modules.get("dqrec.data")  # a DataError exists only if the loaders were used
    if data is not None and isinstance(exc, data.DataError):
        return 1
    return None


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {str(message).splitlines()[0]}", file=sys.stderr)


def main(argv=None) -> int:
    prepared = {}
    try:
        args = build_parser().parse_args(argv)
        prepare = {"train": _prepare_train, "evaluate": _prepare_evaluate}
        prepared = prepare.get(args.command, _prepare_recommend)(args)  # before TensorFlow
        from dqrec.quiet_tf import import_tensorflow

        import_tensorflow()  # without the start-up log lines some CPUs get
        run = {"train": _train, "evaluate": _evaluate, "recommend": _recommend}[args.command]
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return run(args, prepared)
    except KeyboardInterrupt:
        print(
            "interrupted; rerun the same command to resume from the last checkpoint",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:
        code = exit_code(exc)
        if code is None:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return code
    finally:
        if prepared.get("lock") is not None:
            prepared["lock"].release()


def _prepare_train(args) -> dict:
    """Config, output folder and its lock: every check that needs no TensorFlow."""
    import dataclasses

    from dqrec.config import ShopConfig, TrainConfig
    from dqrec.memory import check_fits, train_bytes
    from dqrec.outputs import RunLock, check_output_dir, remove_stale_temp_files

    out = check_output_dir(args.out, "--out")
    if args.tensorboard is not None:
        check_output_dir(args.tensorboard, "--tensorboard")
    defaults = TrainConfig()
    agent = (
        defaults.agent
        if args.gamma is None
        else dataclasses.replace(defaults.agent, gamma=args.gamma)
    )
    network = dataclasses.replace(
        defaults.network, encoder=args.encoder, dueling=not args.no_dueling
    )
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
    check_fits(train_bytes(config), f"--eval-shoppers {args.eval_shoppers}")
    if args.skip_myopic and (out / "myopic.keras").exists():
        raise UsageError(
            f"--skip-myopic: {out / 'myopic.keras'} from an earlier run would be left beside "
            "this run's models; remove it or choose another --out"
        )
    lock = RunLock(out).acquire()  # RunLockedError if another live run writes there
    if lock.stale_owner is not None:
        print(f"note: took over {lock.path} from pid {lock.stale_owner}, no longer running")
    remove_stale_temp_files(out)
    return {"config": config, "out": out, "lock": lock}


def _check_paths(args) -> None:
    for option, value in (("MODEL", args.model), ("--myopic", getattr(args, "myopic", None))):
        if value is not None and not value.strip():
            raise UsageError(f"{option} must be a path to a model, got {value!r}")


def _check_seed(seed) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"--seed must be an int in [0, {MAX_SEED}], got {seed}")


def _prepare_evaluate(args) -> dict:
    from dqrec.memory import check_fits, evaluate_bytes
    from dqrec.modelfile import check_same_shop, read_keras_info

    if args.shoppers < 1:
        raise UsageError(f"--shoppers must be >= 1, got {args.shoppers}")
    _check_seed(args.seed)
    _check_paths(args)
    info = read_keras_info(args.model)
    if args.myopic is not None:
        myopic = read_keras_info(args.myopic, "--myopic model file")
        check_same_shop(info, myopic, "--myopic")
    check_fits(evaluate_bytes(info.shop, args.shoppers), f"--shoppers {args.shoppers}")
    return {"shop": info.shop}


def _prepare_recommend(args) -> dict:
    from dqrec.modelfile import read_export_info, read_keras_info

    if args.top_k < 1:
        raise UsageError(f"--top-k must be >= 1, got {args.top_k}")
    items, feedback = parse_history(args.history)
    _check_paths(args)
    info = read_export_info(args.model) if args.saved_model else read_keras_info(args.model)
    shop = info.shop
    if info.k is not None and args.top_k > info.k:
        raise UsageError(f"--top-k must be <= the export's k = {info.k}, got {args.top_k}")
    if args.top_k > shop.num_items:
        raise UsageError(
            f"--top-k must be <= the catalogue size {shop.num_items}, got {args.top_k}"
        )
    bad = [i for i in items if i >= shop.num_items]
    if bad:
        raise UsageError(
            f"--history item {bad[0]} is not in the catalogue [0, {shop.num_items - 1}]"
        )
    return {"shop": shop, "items": items, "feedback": feedback}


def _train(args, prepared) -> int:
    import dataclasses

    from dqrec.checkpoint import save_model
    from dqrec.compare import compare_policies, format_table, train_myopic
    from dqrec.train import train

    config, out = prepared["config"], prepared["out"]
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


def _evaluate(args, prepared) -> int:
    from dqrec.baselines import GreedyQPolicy
    from dqrec.checkpoint import load_model
    from dqrec.compare import compare_policies, format_table

    shop = prepared["shop"]  # read from the file and checked against the network's sizes
    models = {"DQN": GreedyQPolicy(load_model(args.model))}
    if args.myopic:
        models["myopic (gamma=0)"] = GreedyQPolicy(load_model(args.myopic))
    results = compare_policies(models, shop, args.shoppers, seed=args.seed)
    print(format_table(results, shop))
    return 0


def _recommend(args, prepared) -> int:
    import numpy as np

    from dqrec.envs import observation_from_history

    shop = prepared["shop"]
    obs = observation_from_history(shop, prepared["items"], prepared["feedback"])[None, :]
    if args.saved_model:  # asked for explicitly: see TRUST_NOTE
        from dqrec.serving import load_saved_model

        model = load_saved_model(args.model)
        h = shop.history_len
        top, top_q = model.recommend(obs[:, :h], obs[:, h : 2 * h], obs[:, 2 * h :])
        top, top_q = top[0, : args.top_k], top_q[0, : args.top_k]
    else:
        from dqrec.baselines import GreedyQPolicy
        from dqrec.checkpoint import load_model

        q_values = GreedyQPolicy(load_model(args.model)).q_values(obs)[0]  # (num_items,)
        top = np.argsort(-q_values, kind="stable")[: args.top_k]
        top_q = q_values[top]
    print(f"{'rank':>4}  {'item':>5}  {'Q-value':>8}")
    for rank, (item, q) in enumerate(zip(top, top_q, strict=True), 1):
        print(f"{rank:>4}  {item:>5}  {q:>8.4f}")
    return 0


def _write_json(path: Path, data) -> None:
    from dqrec.checkpoint import _atomic_write

    _atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(data, indent=2)))
