"""Markdown for the book's benchmark page: table helpers and one renderer per result file.

Each ``*_tables(lines)`` function takes the parsed JSON lines of one file of
``benchmarks/results/`` and returns Markdown (tables and short generated sentences). Every
number on the page comes from here; ``make_report.py`` decides which function renders which
file. Pure text: NumPy and ``dqrec.metrics`` only, no TensorFlow, no matplotlib.
"""

from pathlib import Path

import numpy as np

VERSIONS = {
    "python": "Python",
    "numpy": "NumPy",
    "tensorflow": "TensorFlow",
    "keras": "Keras",
    "torch": "PyTorch",
    "stable_baselines3": "Stable-Baselines3",
    "gymnasium": "Gymnasium",
}
LOAD_KEYS = ("load1", "load_1min", "load1_before", "load1_after")


def fmt(value, digits=3):
    """A number rounded to ``digits`` significant digits (``–`` for None)."""
    if value is None:
        return "–"
    return f"{float(value):.{digits}g}" if abs(value) < 10**digits else f"{value:,.0f}"


def pm(values):
    """``mean ± half-width`` of the 95% Student-t interval over ``values``."""
    mean, half = summary(values)
    half = 0.0 if half <= 1e-12 * max(1.0, abs(mean)) else half  # identical values: round-off
    return f"{fmt(mean)} ± {fmt(half, 2)}"


def summary(values):
    """``(mean, half-width of the 95% CI)`` over seeds; half-width 0 for a single seed."""
    from dqrec.metrics import mean_ci

    return mean_ci(values) if len(values) > 1 else (values[0], 0.0)


def table(header, rows):
    """A Markdown table from a list of column names and rows of cell strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def of(lines, bench):
    """The lines of one kind (their ``bench`` value)."""
    return [r for r in lines if r["bench"] == bench]


def machine_text(lines):
    machines = of(lines, "machine")
    if not machines:
        return ""
    m = machines[0]
    threads = f", threads pinned to {m['threads']}" if "threads" in m else ""
    versions = ", ".join(f"{name} {m[key]}" for key, name in VERSIONS.items() if key in m)
    loads = "; ".join(", ".join(f"{v:g}" for v in r["load_avg"]) for r in machines)
    days = sorted({r["date"][:10] for r in machines})
    when = f"on {days[0]}" if len(days) == 1 else f"between {days[0]} and {days[-1]}"
    return (
        f"Measured {when}: CPU {m['cpu']}, {m['cpu_count']} cores{threads}; "
        f"{versions}. Load average (1, 5, 15 min) at the start: {loads}.\n"
    )


def load_text(lines):
    loads = [r[k] for r in lines for k in LOAD_KEYS if k in r]
    if not loads:
        recorded = of(lines, "machine")  # the machine line gives the load at the start
        return "" if recorded else "The load average was not recorded with these results.\n"
    low, high = min(loads), max(loads)
    span = f"{low:.2f}" if low == high else f"{low:.2f} to {high:.2f}"
    return f"1-minute load average recorded with the results: {span}.\n"


def env_tables(lines):
    speed = table(
        ["num_envs", "VecShopEnv steps / s (random actions)"],
        [[r["num_envs"], fmt(r["value"])] for r in of(lines, "env_steps_per_second")],
    )
    returns = of(lines, "policy_return")
    policies = list(dict.fromkeys(r["policy"] for r in returns))
    rows = []
    for policy in policies:
        cells = []
        for effects in (True, False):
            hit = [
                r for r in returns if r["policy"] == policy and r["long_term_effects"] == effects
            ]
            cells.append(f"{fmt(hit[0]['mean'])} ± {fmt(hit[0]['ci95'], 2)}" if hit else "–")
        rows.append([f"`{policy}`", *cells])
    shoppers = sorted({r["num_shoppers"] for r in returns})
    text = speed
    if returns:
        text += (
            f"\nMean return per session over {', '.join(map(str, shoppers))} shoppers "
            "(± : half-width of the 95% interval):\n\n"
        )
        text += table(["policy", "long-term effects on", "long-term effects off"], rows)
    return text


def throughput_tables(lines):
    text = table(
        ["num_envs", "VecShopEnv steps / s"],
        [[r["num_envs"], fmt(r["value"])] for r in of(lines, "env_steps_per_second")],
    )
    grad = of(lines, "gradient_steps_per_second")
    if grad:
        text += "\n" + table(
            ["batch size", "gradient steps / s", "transitions / s", "steps per compiled call"],
            [
                [r["batch_size"], fmt(r["value"]), fmt(r["value"] * r["batch_size"])]
                + [r["steps_per_call"]]
                for r in grad
            ],
        )
    run = of(lines, "default_training_run")
    if run:
        text += "\n" + table(
            ["default training run", "peak memory (MB)", "wall time (s)", "final mean return"],
            [
                ["`TrainConfig()`", fmt(r["peak_rss_mb"]), fmt(r["seconds"]), fmt(r["mean_return"])]
                for r in run
            ],
        )
    return text


def profile_tables(lines):
    text = ""
    env = of(lines, "env_steps_per_second")
    if env:
        sizes = sorted({r["num_envs"] for r in env})
        kinds = sorted({r["env"] for r in env}, reverse=True)
        rows = []
        for n in sizes:
            cells = []
            for k in kinds:
                hit = [r["value"] for r in env if r["num_envs"] == n and r["env"] == k]
                cells.append(fmt(hit[0]) if hit else "–")
            rows.append([n, *cells])
        text += table(["num_envs", *(f"{k} steps / s" for k in kinds)], rows) + "\n"
    grad = of(lines, "gradient_steps_per_second")
    if grad:
        text += table(
            ["batch size", "gradient steps / s", "transitions / s", "first call (compile), s"],
            [
                [r["batch_size"], fmt(r["value"]), fmt(r["transitions_per_second"])]
                + [fmt(r["compile_seconds"])]
                for r in grad
            ],
        )
        text += "\n"
    phases = of(lines, "loop_phases")
    if phases:
        rows = [
            [r["phase"], fmt(r["ms_per_iteration"]), f"{100 * r['share']:.0f}%"] for r in phases
        ]
        for total in of(lines, "loop_phases_total"):
            rows.append(
                [f"**total** ({total['num_envs']} env steps)", fmt(total["ms_per_iteration"])]
                + ["100%"]
            )
        text += table(["phase of one training iteration", "ms per iteration", "share"], rows)
    return text


def dqn_tables(lines):
    runs = of(lines, "dqn_vs_baselines")
    text = ""
    metrics = ("ctr", "conversion", "revenue", "session_length", "coverage")
    for effects in (True, False):
        mine = [r for r in runs if r["long_term_effects"] == effects]
        if not mine:
            continue
        seeds = sorted({r["seed"] for r in mine})
        shoppers = sorted({r["num_sessions"] for r in mine})
        train = [
            next(r for r in mine if r["seed"] == s)["train_seconds_dqn_and_myopic"] for s in seeds
        ]
        rows = []
        for policy in dict.fromkeys(r["policy"] for r in mine):
            own = [r for r in mine if r["policy"] == policy]
            means = [fmt(float(np.mean([r[m] for r in own]))) for m in metrics]
            rows.append([policy, len(own), pm([r["mean_return"] for r in own]), *means])
        text += (
            f"**Long-term effects {'on' if effects else 'off'}** ({len(seeds)} training seeds, "
            f"{', '.join(map(str, shoppers))} evaluation shoppers; training DQN and the myopic "
            f"baseline took {pm(train)} s per seed):\n\n"
        )
        text += table(
            ["policy", "seeds", "mean return", "CTR", "conversion", "revenue"]
            + ["session length", "coverage"],
            rows,
        )
        text += "\n"
    return text + (
        "(mean return: mean over seeds ± half-width of the 95% Student-t interval over seeds; "
        "the other columns: means over seeds.)\n"
    )


def ope_tables(lines):
    rows = of(lines, "ope")
    text = ""
    groups = (
        ("the expected reward of the first recommendation", True),
        ("the mean return of a whole session", False),
    )
    for label, first in groups:
        mine = [r for r in rows if r["estimator"].startswith("first_") == first]
        if not mine:
            continue
        truth = sorted({r["true_value"] for r in mine})
        repeats = sorted({r["repeats"] for r in mine})
        text += (
            f"Estimators of {label} (true value {', '.join(fmt(t, 4) for t in truth)}; "
            f"{', '.join(map(str, repeats))} logs per size):\n\n"
        )
        text += table(
            ["estimator", "logged sessions", "bias", "std", "RMSE"],
            [
                [f"`{r['estimator']}`", r["num_sessions"], fmt(r["bias"]), fmt(r["std"])]
                + [fmt(r["rmse"])]
                for r in sorted(mine, key=lambda r: r["num_sessions"])
            ],
        )
        text += "\n"
    return text


def scale_tables(lines):
    rows = of(lines, "scale")
    text = table(
        ["items", "recommend, batch 1 (ms / shopper)", "recommend, batch 256 (ms / shopper)"]
        + ["train step, sampled (ms)", "train step, all items (ms)", "memory (MB)"]
        + ["peak memory (MB)", "load"],
        [
            [f"{r['num_items']:,}", fmt(r["latency_ms_per_shopper_b1"])]
            + [fmt(r["latency_ms_per_shopper_b256"]), fmt(r["train_step_ms_sampled"])]
            + [fmt(r["train_step_ms_full"]), fmt(r["rss_mb"]), fmt(r["peak_rss_mb"])]
            + [f"{r['load1']:g}"]
            for r in rows
        ],
    )
    for s in of(lines, "scale_summary"):
        growth = ", ".join(f"`{k}` {v:g}" for k, v in s["cost_growth_over_linear"].items())
        text += (
            f"\nGrowth of each cost from the smallest to the largest catalogue, divided by the "
            f"growth of the number of items (1 = linear): {growth}. Target (at most 5 ms per "
            f"shopper at batch 1 with the largest catalogue): "
            f"**{'met' if s['b1_under_5ms'] else 'not met'}**.\n"
        )
    return text


def cli_tables(lines):
    return table(
        ["command", "repeats", "median (s)", "min (s)", "max (s)", "exit code", "stderr lines"],
        [
            [f"`{r['command']}`", r["repeats"], fmt(r["median_s"]), fmt(r["min_s"])]
            + [fmt(r["max_s"]), r["exit_code"], r["stderr_lines"]]
            for r in of(lines, "cli_latency")
        ],
    )


def notebooks_tables(lines):
    rows = [
        [f"`{Path(r['notebook']).name}`", fmt(r["seconds"]), fmt(r["cpu_seconds"])]
        + [fmt(r["peak_rss_mb"])]
        for r in of(lines, "notebook")
    ]
    for r in of(lines, "notebooks_total"):
        rows.append(["**total**", fmt(r["seconds"]), fmt(r["cpu_seconds"]), "–"])
    return table(["notebook", "wall time (s)", "CPU time (s)", "peak memory (MB)"], rows)


def portability_tables(lines):
    rows = []
    for r in of(lines, "portability"):
        env = ", ".join(f"`{k}={v}`" for k, v in r["env"].items()) or "(machine defaults)"
        rows.append(
            [f"`{r['setting']}`", env, fmt(r["max_abs_weight_diff"])]
            + ["yes" if r["identical"] else "no", fmt(r["final_return"], 4)]
        )
    steps = sorted({r["total_steps"] for r in of(lines, "portability")})
    return f"Training runs of {', '.join(f'{s:,}' for s in steps)} steps.\n\n" + table(
        ["setting", "environment", "largest weight difference", "identical", "final return"],
        rows,
    )


def offline_tables(lines):
    """``bench_offline.py`` on the test split: one row per method, mean ± 95% half-width."""
    rows = [r for r in lines if r.get("kind") == "summary"]
    run = next((r for r in lines if r.get("kind") == "run"), {})
    text = (
        f"{run.get('cases', '?')} test baskets, {run.get('transitions', '?')} logged training "
        f"steps; {rows[0]['seeds'] if rows else 0} seeds (deterministic rankers: one).\n\n"
    )
    return text + table(
        ["method", "HR@10", "NDCG@10", "value@10 (GBP)"],
        [
            [r["method"]]
            + [f"{fmt(r[k])} ± {fmt(r[k + '_ci95'], 2)}" for k in ("hr@10", "ndcg@10", "value@10")]
            for r in rows
        ],
    )


def offline_validation_tables(lines):
    """``bench_offline.py --split validation`` runs: one row per (run, method), one seed."""
    out, args = [], {}
    for r in lines:
        if r.get("kind") == "run":
            args = r["args"]
        elif r.get("kind") == "seed":
            copy = "no" if args.get("no_repeat") else "yes"
            out.append(
                [r["method"], args.get("encoder", "?"), copy]
                + [fmt(r[k]) for k in ("hr@10", "ndcg@10", "value@10")]
                + [fmt(r["train_s"])]
            )
    header = ["method", "encoder", "copy term", "HR@10", "NDCG@10", "value@10", "train s"]
    return table(header, out)


def slates_tables(lines):
    """Slates: mean return per policy over seeds, SlateQ's paired differences, and the cost of
    choosing a slate."""
    text = ""
    runs = of(lines, "slates_run")
    for effects in ("on", "off"):
        mine = [r for r in runs if r["effects"] == effects]
        if not mine:
            continue
        rows = []
        for policy in dict.fromkeys(r["policy"] for r in mine):
            own = [r for r in mine if r["policy"] == policy]
            seeds = len([r for r in own if r["seed"] is not None]) or "–"
            means = [
                fmt(float(np.mean([r[key] for r in own])))
                for key in ("mean_length", "choices_per_step", "clickbait_shown", "train_s")
            ]
            returns = [r["mean_return"] for r in own]
            shown_return = pm(returns) if len(returns) > 1 else fmt(returns[0])
            rows.append([policy, seeds, shown_return, *means])
        text += f"\n**Long-term effects {effects}**:\n\n" + table(
            ["policy", "seeds", "mean return", "session length", "choices per page"]
            + ["clickbait shown", "train s"],
            rows,
        )
        pairs = [r for r in of(lines, "slates_paired") if r["effects"] == effects]
        if pairs:
            text += "\nSlateQ minus each policy, paired seed by seed:\n\n" + table(
                ["against", "seeds", "mean difference", "95% interval", "relative gain"],
                [
                    [
                        r["against"],
                        r["seeds"],
                        fmt(r["mean_difference"]),
                        "–"
                        if r["ci_low"] is None
                        else f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]",
                        f"{100 * r['relative_gain']:+.0f}%",
                    ]
                    for r in pairs
                ],
            )
    costs = of(lines, "slates_cost")
    if costs:
        sizes = list(dict.fromkeys(r["num_items"] for r in costs))
        methods = list(dict.fromkeys(r["method"] for r in costs))
        cell = {(r["method"], r["num_items"]): r for r in costs}

        def shown(method, size):
            r = cell.get((method, size))
            if r is None:
                return ""
            if r["seconds_per_shopper"] is None:
                return f"not tried: {r['note']}"
            return fmt(1e6 * r["seconds_per_shopper"])

        k = costs[0]["k"]
        text += f"\nMicroseconds per shopper to choose a slate of k = {k}:\n\n" + table(
            ["method", *(f"{n:,} items" for n in sizes)],
            [[m, *(shown(m, n) for n in sizes)] for m in methods],
        )
    return text + (
        "\n(mean return: mean over training seeds ± half-width of the 95% Student-t interval "
        "over seeds; policies without seeds are fixed and evaluated once.)\n"
    )


def _tag_before(lines):
    """Each line of bench_speed.py with the ``before`` revision of the run it belongs to
    (named in the run's ``machine`` line) as ``rev``."""
    tagged, rev = [], "?"
    for r in lines:
        if r["bench"] == "machine":
            rev = r.get("before", rev)
        else:
            tagged.append({**r, "rev": rev})
    return tagged


def speed_tables(lines):
    # every run of bench_speed.py appends its lines: the before revision and the load column
    # tell the runs apart
    lines = _tag_before(lines)
    rows = []
    for r in of(lines, "gradient_steps_per_second"):
        per_call, load, rev = r["steps_per_call"], fmt(r.get("load1")), f"`{r['rev']}`"
        what = f"gradient steps / s (batch {r['batch_size']}, {per_call} per call)"
        rows.append([what, rev, fmt(r["before"]), fmt(r["after"]), f"{r['ratio']:.2f}", load])
        rows.append(
            [f"gradient steps / CPU-second ({per_call} per call)", rev]
            + [fmt(r["before_cpu_rate"]), fmt(r["after_cpu_rate"])]
            + [f"{r['after_cpu_rate'] / r['before_cpu_rate']:.2f}", load]
        )
        rows.append(
            [f"compile s ({per_call} per call)", rev]
            + [fmt(r["before_compile_seconds"]), fmt(r["after_compile_seconds"]), "–", load]
        )
    for r in of(lines, "train_env_steps_per_second"):
        load, rev = fmt(r.get("load1")), f"`{r['rev']}`"
        rows.append(
            ["`train(TrainConfig())` env steps / s, excluding compile", rev]
            + [fmt(r["before"]), fmt(r["after"]), f"{r['ratio']:.2f}", load]
        )
        rows.append(
            ["short run (4,096 steps, compiles) s", rev]
            + [fmt(r["before_short_run_seconds"]), fmt(r["after_short_run_seconds"]), "–", load]
        )
    text = table(["figure", "before rev", "before", "after", "after / before", "load"], rows)
    seeds = of(lines, "seeds_per_minute")
    if seeds:
        text += "\n" + table(
            ["seeds", "env steps each", "mode", "before", "after", "processes", "load"],
            [
                [r["seeds"], fmt(r["steps"]), r["mode"], fmt(r.get("before"))]
                + [fmt(r.get("after")), fmt(r.get("after_processes", 1)), fmt(r.get("load1"))]
                for r in seeds
            ],
        )
    return text


def step_profile_tables(lines):
    text = table(
        ["piece of the step", "CPU µs per step up to here", "CPU µs of this piece", "share"],
        [
            [r["piece"], fmt(r["us_per_step"]), fmt(r["piece_us"]), f"{100 * r['share']:.0f}%"]
            for r in of(lines, "step_piece")
        ],
    )
    for r in of(lines, "step_flops"):
        text += (
            f"\nOne step at batch {r['batch_size']}: {fmt(r['flops_per_step'])} FLOPs; the "
            f"step reaches {fmt(r['achieved_gflops'])} GFLOP per CPU-second, against a {fmt(r['peak_gflops'])} "
            f"GFLOP/s peak of the 2 cores, which alone would allow {fmt(r['flop_bound_steps_per_second'])} "
            "steps / s.\n"
        )
    return text
