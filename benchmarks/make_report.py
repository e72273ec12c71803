"""Turn every benchmark result (JSON lines) into the book's benchmark page: tables and plots.

    python benchmarks/make_report.py            # rewrite the page and the plots
    python benchmarks/make_report.py --check    # exit 1 if the page is out of date

Reads every file in ``benchmarks/results/``. Each must be a ``<name>.jsonl`` that this script
knows (the ``SECTIONS`` table below), and each of its lines must carry a ``bench`` value that
the section expects; anything else stops the script with one line naming the file, so a new
benchmark cannot be left off the page by accident (add a section for it). Every file becomes
one subsection of ``book/benchmarks.md`` between the lines ``<!-- BEGIN GENERATED TABLES -->``
and ``<!-- END GENERATED TABLES -->``: what was measured, the command that reproduces it, the
machine and load it ran under, its tables, and a plot in ``book/images/benchmarks/`` where a
table does not read well. Everything else on the page is left as it is. Needs only NumPy and
matplotlib (the package's own venv is enough); ``tests/test_make_report.py`` checks that the
committed page matches the committed results.

The tables come from ``report_tables.py``, the SB3 comparisons from ``report_sb3.py`` and the
other plots from ``report_plots.py``; this file says which renders which result file.
"""

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from report_plots import plot_ope, plot_profile, plot_scale
from report_sb3 import plot_curves, sb3_tables
from report_seeds import seeds_real_tables, seeds_tables
from report_tables import (
    cli_tables,
    dqn_tables,
    env_tables,
    load_text,
    machine_text,
    notebooks_tables,
    offline_tables,
    offline_validation_tables,
    ope_tables,
    portability_tables,
    profile_tables,
    scale_tables,
    slates_tables,
    speed_tables,
    step_profile_tables,
    throughput_tables,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
IMAGES = ROOT / "book" / "images" / "benchmarks"
PAGE = ROOT / "book" / "benchmarks.md"
BEGIN, END = "<!-- BEGIN GENERATED TABLES -->", "<!-- END GENERATED TABLES -->"


class ReportError(Exception):
    """A result file or line that the report does not know how to render."""


@dataclass(frozen=True)
class Section:
    """How one result file becomes one subsection of the page."""

    title: str
    what: str  # one paragraph: what was measured
    command: str  # the command that reproduces the file, run from the repository root
    benches: tuple[str, ...]  # the ``bench`` values its lines may carry
    tables: Callable  # lines -> Markdown
    plot: Callable | None = None  # (lines, pyplot) -> Figure, saved as ...
    image: str = ""  # ... book/images/benchmarks/<image>
    caption: str = ""  # the image's alt text


def _cmd(script, stem, venv=".venv", args=""):
    args = f" {args}" if args else ""
    return f"{venv}/bin/python benchmarks/{script}{args} > benchmarks/results/{stem}.jsonl"


SEEDS_RUNS = (  # the invocations of bench_seeds.py that wrote seeds.jsonl, in order
    "--part chapter --budget chapter --seeds 5",
    "--part chapter --budget default --seeds 3",
    "--part off --steps 25000 50000 100000 --seeds 3",
    *(
        f"--part off --steps 100000 --variant {v} --no-myopic --seeds 3 --no-machine"
        for v in ("target_period=1000", "gamma=0.5", "epsilon_decay_steps=20000")
    ),
    "--part networks --seeds 3 --skip-default",
    "--part off --steps 200000 --seeds 3 --no-machine",
    "--part off --steps 400000 --seeds 3 --no-machine",
    "--part networks --first-seed 3 --seeds 2",
    "--part chapter --budget default --first-seed 3 --seeds 2 --no-machine",
)

SECTIONS = {
    "env": Section(
        "Simulator speed and hand-written policies",
        "Shopper-steps per second of `VecShopEnv` under random actions, and the mean return "
        "per session of hand-written policies with the simulator's long-term effects on and "
        "off: `random`, two oracles that see the hidden state (`myopic_oracle` maximises the "
        "immediate expected reward, `patience_oracle` adds the value of the shopper's "
        "patience) and `history_heuristic`, which sees only the observation.",
        _cmd("bench_env.py", "env"),
        ("env_steps_per_second", "policy_return"),
        env_tables,
    ),
    "throughput": Section(
        "Throughput and memory of the default run",
        "`VecShopEnv` steps per second, gradient steps per second of the default agent at "
        "three batch sizes, and the peak memory, wall time and final return of a child "
        "process running the default training run.",
        _cmd("bench_throughput.py", "throughput"),
        ("env_steps_per_second", "gradient_steps_per_second", "default_training_run"),
        throughput_tables,
    ),
    "profile": Section(
        "Throughput profile",
        "Steps per second against `num_envs` for `VecShopEnv` and, for contrast, Gymnasium's "
        "`SyncVectorEnv` of the scalar `ShopEnv`; gradient steps per second of the default "
        "agent against the batch size (with the first call's compile time); and where one "
        "iteration of the default training loop spends its time, each phase timed with "
        "`time.perf_counter` on a copy of the loop built from the package's pieces (acting in "
        "NumPy, as the loop does: `dqrec.acting`).",
        _cmd("bench_profile.py", "profile"),
        ("env_steps_per_second", "gradient_steps_per_second", "loop_phases")
        + ("loop_phases_total",),
        profile_tables,
        plot_profile,
        "profile.png",
        "Simulator throughput, gradient-step throughput and the phases of one training iteration",
    ),
    "dqn_vs_baselines": Section(
        "DQN against the baselines",
        "DQN and the myopic baseline (the same network with gamma 0) trained with the "
        "default `TrainConfig` for several seeds, evaluated with the random, most-popular and "
        "oracle baselines on one fixed set of evaluation shoppers, with the long-term "
        "effects on and off.",
        _cmd("bench_dqn.py", "dqn_vs_baselines"),
        ("dqn_vs_baselines", "dqn_vs_baselines_summary"),
        dqn_tables,
    ),
    "sb3_cartpole": Section(
        "dqrec against Stable-Baselines3: CartPole-v1",
        "dqrec's DQN and Stable-Baselines3's DQN on CartPole-v1, runs alternating seed by "
        "seed, both measured by dqrec's evaluator (see *What is compared* above).",
        _cmd("bench_sb3.py", "sb3_cartpole", ".venv-bench", "--task cartpole --seeds 5"),
        ("machine", "sb3_compare_run", "sb3_compare_summary", "sb3_compare_target"),
        sb3_tables("cartpole"),
        plot_curves("cartpole"),
        "sb3_cartpole_curves.png",
        "CartPole-v1 learning curves of dqrec and Stable-Baselines3: the greedy mean return "
        "at each evaluation against environment steps (left) and training wall time "
        "(right), one line per seed",
    ),
    "sb3_shop": Section(
        "dqrec against Stable-Baselines3: the default shop",
        "dqrec's DQN with its default `TrainConfig` and Stable-Baselines3's DQN with an "
        "`MlpPolicy` on the default shop, runs alternating seed by seed, both measured by "
        "dqrec's evaluator (see *What is compared* above).",
        _cmd("bench_sb3.py", "sb3_shop", ".venv-bench", "--task shop --seeds 5"),
        ("machine", "sb3_compare_run", "sb3_compare_summary", "sb3_compare_target"),
        sb3_tables("shop"),
        plot_curves("shop"),
        "sb3_shop_curves.png",
        "Shop learning curves of dqrec and Stable-Baselines3: the greedy mean return at each "
        "evaluation against environment steps (left) and training wall time (right), one "
        "line per seed",
    ),
    "ope": Section(
        "Off-policy estimators",
        "Bias, spread (std) and RMSE of every estimator of `dqrec.ope_sim.estimate_all` over "
        "independent logs of the logging policy, against an on-policy simulation of the "
        "target policy, for several log sizes.",
        _cmd("bench_ope.py", "ope"),
        ("ope",),
        ope_tables,
        plot_ope,
        "ope.png",
        "RMSE of the off-policy estimators against the number of logged sessions",
    ),
    "scale": Section(
        "Large catalogues",
        "For catalogues of growing size: the latency of a top-10 recommendation from the "
        "exported two-tower model per shopper at request batch 1 and 256, one two-tower "
        "gradient step with sampled candidates, one `DQNAgent` gradient step whose target "
        "scores every item (batch 256 for both), and the process's memory (peak: up to this "
        "size).",
        _cmd("bench_scale.py", "scale"),
        ("machine", "scale", "scale_summary"),
        scale_tables,
        plot_scale,
        "scale.png",
        "Recommendation latency and train-step time against the number of items, log-log, "
        "with a line of linear growth for reference",
    ),
    "cli": Section(
        "Command-line answers",
        "Wall time of `python -m dqrec` answering `--help`, a usage error and a missing "
        "model file, each in a fresh process with a user's environment, against a bare "
        "`import tensorflow`.",
        _cmd("bench_cli.py", "cli"),
        ("cli_latency",),
        cli_tables,
    ),
    "notebooks": Section(
        "Notebook run times",
        "Run time (Restart & Run All, as CI's nbval does) and peak memory of every notebook, "
        "each in its own process.",
        _cmd("bench_notebooks.py", "notebooks"),
        ("notebook", "notebooks_total"),
        notebooks_tables,
    ),
    "offline": Section(
        "Offline deep Q-learning on Online Retail",
        "Next-basket HR@10, NDCG@10 and the mean train-time line value of the 10 recommended "
        "items on notebook 06's time split (all customers, 300 items, histories of 50 "
        "purchases), over training seeds: the baselines, the supervised sequential backbone, "
        "the Q-augmented model (SQN + CQL; ranked by the supervised head alone, and by "
        "log-softmax + 0.3 Q) and the old offline Q-network.",
        "DQREC_DATA_DIR=... " + _cmd("bench_offline.py", "offline"),
        ("machine", "offline"),
        offline_tables,
    ),
    "offline_validation": Section(
        "Offline deep Q-learning: the validation runs that chose the settings",
        "The same benchmark on a validation split carved from the training period (train "
        "before 2011-08-01, baskets of August and September 2011), one seed: the encoders, the "
        "copy term and the ranking weight of Q.",
        "DQREC_DATA_DIR=... .venv/bin/python benchmarks/bench_offline.py --split validation "
        "--seeds 1 ... >> benchmarks/results/offline_validation.jsonl",
        ("machine", "offline"),
        offline_validation_tables,
    ),
    "slates": Section(
        "Slates: SlateQ against the myopic slate",
        "On the slate shop (`SlateConfig()`: 50 items, pages of 4), SlateQ, the learned myopic "
        "slate (the same agent with gamma 0) and item-DQN top-k trained per seed, with the "
        "random, most-popular-k and myopic-oracle slates, all evaluated on the same shoppers, "
        "with the long-term effects on and off; and the time to choose a slate of 5 with each "
        "optimiser for 50, 1000 and 100 000 items.",
        _cmd("bench_slates.py", "slates"),
        ("machine", "slates_run", "slates_summary", "slates_paired", "slates_cost"),
        slates_tables,
    ),
    "portability": Section(
        "Kernel switches and the weights of a training run",
        "A short training run under the machine's defaults twice, under each switch of "
        "`.ci/perturbed-env.sh` alone and under all of them together: the largest absolute "
        "difference of the final weights from the default run, and the final return.",
        _cmd("bench_portability.py", "portability"),
        ("portability",),
        portability_tables,
    ),
    "speed": Section(
        "Training speed before and after (issue 11)",
        "The package at the revision before the speed work and this checkout's, each in fresh "
        "child processes, alternating round by round (medians): gradient steps per second of "
        "the default agent at batch 256, the default training run's environment steps per "
        "second excluding compilation (from a long and a short run), and seeds per minute run "
        "one after another or with `dqrec.many_seeds.train_seeds`.",
        "\n".join(
            (
                _cmd("bench_speed.py", "speed"),
                ".venv/bin/python benchmarks/bench_speed.py --parts gradient train --rounds 3 "
                "--steps-per-call 4 >> benchmarks/results/speed.jsonl",
                ".venv/bin/python benchmarks/bench_speed.py --parts seeds --seed-steps 6000 "
                "--sequential-versions after >> benchmarks/results/speed.jsonl",
                ".venv/bin/python benchmarks/bench_speed.py --before 58c43b2 --parts gradient "
                "train seeds --steps-per-call 4 --seed-steps 6000 --rounds 3 "
                ">> benchmarks/results/speed.jsonl",
                ".venv/bin/python benchmarks/bench_speed.py --before 58c43b2 --parts seeds "
                "--seed-steps 6000 >> benchmarks/results/speed.jsonl",
                ".venv/bin/python benchmarks/bench_speed.py --before 58c43b2 --parts gradient "
                "train --steps-per-call 4 --rounds 5 >> benchmarks/results/speed.jsonl",
            )
        ),
        ("machine", "gradient_steps_per_second", "train_env_steps_per_second", "seeds_per_minute"),
        speed_tables,
    ),
    "step_profile": Section(
        "Where a gradient step's time goes",
        "The default agent's compiled step (batch 256, 4 steps per call, XLA) cut into "
        "prefixes, each compiled and timed alone in alternating bursts: the compiled call, "
        "the history encoder, the loss's three network passes, the gradient, and Adam with "
        "the target update; and the step's FLOPs against the CPU's peak.",
        _cmd("bench_step_profile.py", "step_profile"),
        ("machine", "step_piece", "step_flops"),
        step_profile_tables,
    ),
    "seeds": Section(
        "Results that hold over seeds",
        "Issue 11's chapter claims, each variant trained with 3 or 5 training seeds and every "
        "policy of a seed evaluated on the same 1000 evaluation shoppers "
        "(`BENCHMARK_EVAL_SEED`), so that a difference is one number per seed with a 95% "
        "Student-t interval over seeds: full DQN against random, myopic and notebook 04's "
        "ablations at notebook 04's budget and at the default; DQN against myopic with the "
        "long-term effects off against the training budget and with changed target period "
        "and exploration; notebook 03's candidate networks trained as full DQN, with their "
        "CPU time per gradient step.",
        "\n".join(
            f".venv/bin/python benchmarks/bench_seeds.py {args} "
            f"{'>' if i == 0 else '>>'} benchmarks/results/seeds.jsonl"
            for i, args in enumerate(SEEDS_RUNS)
        ),
        ("machine", "seeds_run", "seeds_paired", "seeds_step_cost"),
        seeds_tables,
    ),
    "seeds_real": Section(
        "Notebook 06 over seeds",
        "Notebook 06's learned models trained once per seed at the notebook's own budget (the "
        "seed draws the customer subsample, the networks' initialisation and the calibration, "
        "as `SEED` does in the notebook): the next-basket rankers scored on the same test "
        "baskets, and DQN and the baselines in the calibrated shop on the same evaluation "
        "shoppers, so that each difference is one paired number per seed.",
        "\n".join(
            f"DQREC_DATA_DIR=... .venv/bin/python benchmarks/bench_seeds.py --part real {args} "
            f"{'>' if i == 0 else '>>'} benchmarks/results/seeds_real.jsonl"
            for i, args in enumerate(("--seeds 1 --nstep1", "--first-seed 1 --seeds 4 --nstep1"))
        ),
        ("machine", "seeds_real_run", "seeds_real_seed"),
        seeds_real_tables,
    ),
}


def read_results(folder=None):
    """``{name: [line, ...]}`` for every result file in ``folder``; unknown files raise."""
    results = {}
    folder = Path(folder or RESULTS)
    for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        if path.suffix != ".jsonl" or path.stem not in SECTIONS:
            raise ReportError(
                f"{shown(path)}: not a result file make_report knows (expected <name>.jsonl with "
                f"name one of {', '.join(SECTIONS)}); add a section for it to SECTIONS"
            )
        results[path.stem] = parse_lines(shown(path), path.read_text())
    return results


def shown(path):
    """``path`` relative to the repository when it lies inside it (for error messages)."""
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def parse_lines(path, text):
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            line = None
        if not isinstance(line, dict):
            raise ReportError(f"{path} line {number}: not a JSON object: {raw[:60]!r}")
        lines.append(line)
    return lines


def check_lines(name, lines):
    if name not in SECTIONS:
        raise ReportError(
            f"{name}.jsonl: not a result file make_report knows (expected one of "
            f"{', '.join(SECTIONS)}); add a section for it to SECTIONS"
        )
    expected = SECTIONS[name].benches
    for number, line in enumerate(lines, 1):
        if line.get("bench") not in expected:
            raise ReportError(
                f"{name}.jsonl line {number}: bench {line.get('bench')!r} is not one make_report "
                f"knows for this file (expected one of {', '.join(expected)})"
            )


def render_section(name, lines):
    section = SECTIONS[name]
    parts = [
        f"### {section.title}",
        f"{section.what} Results: `benchmarks/results/{name}.jsonl`; to reproduce:",
        f"```bash\n{section.command}\n```",
        " ".join((machine_text(lines) + load_text(lines)).split("\n")).strip(),
        section.tables(lines).strip(),
    ]
    if section.plot:
        parts.append(f"![{section.caption}](images/benchmarks/{section.image})")
    return "\n\n".join(p for p in parts if p) + "\n"


def render(results):
    """The page's generated region (text between the markers) for ``{name: lines}``."""
    for name, lines in results.items():
        check_lines(name, lines)
    sections = []
    for name in SECTIONS:
        if name in results:
            try:
                sections.append(render_section(name, results[name]))
            except KeyError as err:
                raise ReportError(f"{name}.jsonl: a line lacks the field {err}") from None
    return "\n".join(sections)


def generated_region(page):
    if BEGIN not in page or END not in page:
        raise ReportError(f"{shown(PAGE)} lacks the markers {BEGIN} / {END}")
    return page.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def replace_region(page, region):
    generated_region(page)  # checks the markers
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{region}{END}{tail}"


def write_atomically(path, write):
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def draw_plots(results, images=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = Path(images or IMAGES)
    images.mkdir(parents=True, exist_ok=True)
    for name, lines in results.items():
        section = SECTIONS[name]
        if section.plot:
            fig = section.plot(lines, plt)
            fig.tight_layout()
            write_atomically(
                images / section.image, lambda p, f=fig: f.savefig(p, format="png", dpi=110)
            )
            plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only check that the page is up to date"
    )
    args = parser.parse_args(argv)
    try:
        results = read_results()
        region = render(results)
        page = PAGE.read_text()
        if args.check:
            if generated_region(page) != region:
                raise ReportError(
                    f"{shown(PAGE)} is out of date with {shown(RESULTS)}: "
                    "run python benchmarks/make_report.py"
                )
            print(f"{shown(PAGE)} is up to date with {len(results)} result files")
            return 0
        new_page = replace_region(page, region)
    except ReportError as err:
        print(f"make_report: error: {err}", file=sys.stderr)
        return 1
    draw_plots(results)
    write_atomically(PAGE, lambda p: p.write_text(new_page))
    print(f"wrote {shown(PAGE)} ({len(results)} result files) and the plots in {shown(IMAGES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
