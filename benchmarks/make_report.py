"""Turn the benchmark results (JSON lines) into the book's benchmark page: plots and tables.

    python benchmarks/make_report.py

Reads ``benchmarks/results/sb3_cartpole.jsonl``, ``sb3_shop.jsonl`` and ``profile.jsonl``
(whichever exist), writes PNG plots into ``book/images/benchmarks/`` and rewrites the
tables in ``book/benchmarks.md`` between the lines ``<!-- BEGIN GENERATED TABLES -->`` and
``<!-- END GENERATED TABLES -->``. Everything else on the page is left as it is. Needs only
NumPy and matplotlib (the package's own venv is enough).
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
IMAGES = ROOT / "book" / "images" / "benchmarks"
PAGE = ROOT / "book" / "benchmarks.md"
BEGIN, END = "<!-- BEGIN GENERATED TABLES -->", "<!-- END GENERATED TABLES -->"
NAMES = {"dqrec": "dqrec (TensorFlow)", "sb3": "Stable-Baselines3 (PyTorch)"}
TASKS = {"cartpole": "CartPole-v1", "shop": "Default shop"}
CARTPOLE_THRESHOLD = 475.0


def read_jsonl(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def fmt(value, digits=3):
    """A number rounded to ``digits`` significant digits (``-`` for None)."""
    if value is None:
        return "–"
    return f"{float(value):.{digits}g}" if abs(value) < 10**digits else f"{value:,.0f}"


def time_to(curve, threshold):
    for steps, seconds, mean_return, _ in curve:
        if mean_return >= threshold:
            return seconds, steps
    return None, None


def summary(values):
    """``(mean, half-width of the 95% CI)`` over seeds; half-width 0 for a single seed."""
    from dqrec.metrics import mean_ci

    return mean_ci(values) if len(values) > 1 else (values[0], 0.0)


def comparison_table(task, lines):
    """Computed from the per-run lines, so a partial file (fewer seeds) still gives a table."""
    runs = [r for r in lines if r.get("bench") == "sb3_compare_run"]
    if not runs:
        return ""
    sb3_final = {r["seed"]: r["final_return"] for r in runs if r["impl"] == "sb3"}
    sb3_seconds = {r["seed"]: r["train_seconds"] for r in runs if r["impl"] == "sb3"}
    rows = [
        "| implementation | seeds | final mean return | training wall time (s) "
        "| env steps / s | time to threshold (s, median) | seeds reaching threshold |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for impl in ("dqrec", "sb3"):
        mine = [r for r in runs if r["impl"] == impl]
        if not mine:
            continue
        if task == "cartpole":
            threshold_of = {r["seed"]: CARTPOLE_THRESHOLD for r in mine}
        else:  # the same seed's SB3 final return
            threshold_of = {r["seed"]: sb3_final.get(r["seed"]) for r in mine}
        times = [
            time_to(r["curve"], threshold_of[r["seed"]])[0]
            for r in mine
            if threshold_of[r["seed"]] is not None
        ]
        reached = [t for t in times if t is not None]
        cells = []
        for key in ("final_return", "train_seconds", "env_steps_per_second"):
            mean, half = summary([r[key] for r in mine])
            cells.append(f"{fmt(mean)} ± {fmt(half, 2)}")
        rows.append(
            f"| {NAMES[impl]} | {len(mine)} | {' | '.join(cells)} | "
            f"{fmt(float(np.median(reached)) if reached else None)} | "
            f"{len(reached)} of {len(times)} |"
        )
    text = "\n".join(rows) + "\n\n(± : half-width of the 95% Student-t interval over seeds.)\n"
    if task == "cartpole":
        dq = [r for r in runs if r["impl"] == "dqrec"]
        ever = sum(time_to(r["curve"], CARTPOLE_THRESHOLD)[0] is not None for r in dq)
        final = sum(r["final_return"] >= CARTPOLE_THRESHOLD for r in dq)
        verdict = "met" if final >= 4 else "not met"
        if len(dq) < 5 and final < 4:
            verdict = f"not established: only {len(dq)} seeds ran, all {final} at or above it"
            verdict = verdict if final == len(dq) else f"not established ({len(dq)} seeds ran)"
        text += (
            f"\nThreshold: a greedy mean return of 475 over the 100 evaluation episodes. "
            f"dqrec reached it at some evaluation within 50,000 steps in **{ever} of {len(dq)}** "
            f"seeds and ended the run at or above it in **{final} of {len(dq)}** seeds. "
            f"Target (final return >= 475 in at least 4 of 5 seeds): "
            f"**{verdict}**.\n"
        )
    else:
        ratios, walls = [], []
        for r in runs:
            if r["impl"] == "dqrec" and r["seed"] in sb3_final:
                seconds, _ = time_to(r["curve"], sb3_final[r["seed"]])
                ratios.append(None if seconds is None else seconds / sb3_seconds[r["seed"]])
                walls.append(r["train_seconds"] / sb3_seconds[r["seed"]])
        shown = ", ".join("never" if x is None else f"{x:.2f}" for x in ratios)
        met = bool(ratios) and all(x is not None and x <= 1 / 3 for x in ratios)
        text += (
            "\nThreshold of a shop run: the final mean return of the SB3 run with the same seed. "
            f"dqrec's time to reach it divided by that SB3 run's training wall time, seed by "
            f"seed: {shown}. Whole-run wall-time ratio dqrec / SB3, seed by seed: "
            f"{', '.join(f'{x:.2f}' for x in walls)}. Target (at most 1/3 for every seed): "
            f"**{'met' if met else 'not met'}**.\n"
        )
    return text


def profile_tables(lines):
    text = ""
    env = [r for r in lines if r.get("bench") == "env_steps_per_second"]
    if env:
        sizes = sorted({r["num_envs"] for r in env})
        kinds = sorted({r["env"] for r in env}, reverse=True)
        text += "| num_envs | " + " | ".join(f"{k} steps / s" for k in kinds) + " |\n"
        text += "| --- |" + " --- |" * len(kinds) + "\n"
        for n in sizes:
            cells = []
            for k in kinds:
                hit = [r["value"] for r in env if r["num_envs"] == n and r["env"] == k]
                cells.append(fmt(hit[0]) if hit else "–")
            text += f"| {n} | " + " | ".join(cells) + " |\n"
        text += "\n"
    grad = [r for r in lines if r.get("bench") == "gradient_steps_per_second"]
    if grad:
        text += "| batch size | gradient steps / s | transitions / s | first call (compile), s |\n"
        text += "| --- | --- | --- | --- |\n"
        for r in grad:
            text += (
                f"| {r['batch_size']} | {fmt(r['value'])} | {fmt(r['transitions_per_second'])}"
                f" | {fmt(r['compile_seconds'])} |\n"
            )
        text += "\n"
    phases = [r for r in lines if r.get("bench") == "loop_phases"]
    total = next((r for r in lines if r.get("bench") == "loop_phases_total"), None)
    if phases:
        text += (
            "| phase of one training iteration | ms per iteration | share |\n| --- | --- | --- |\n"
        )
        for r in phases:
            text += f"| {r['phase']} | {fmt(r['ms_per_iteration'])} | {100 * r['share']:.0f}% |\n"
        if total:
            text += (
                f"| **total** ({total['num_envs']} env steps) | "
                f"{fmt(total['ms_per_iteration'])} | 100% |\n"
            )
    return text


def machine_text(machines):
    if not machines:
        return ""
    m = machines[0]
    loads = sorted({tuple(x["load_avg"]) for x in machines})
    return (
        f"Measured on {m['date'][:10]} on a {m['cpu']} machine with {m['cpu_count']} cores "
        f"(threads pinned to {m['threads']}), Python {m['python']}, NumPy {m['numpy']}, "
        f"TensorFlow {m['tensorflow']}, Keras {m['keras']}, PyTorch {m['torch']}, "
        f"Stable-Baselines3 {m['stable_baselines3']}, Gymnasium {m['gymnasium']}. "
        f"Load average (1, 5, 15 min) when the comparisons started: "
        f"{'; '.join(', '.join(f'{v:g}' for v in lv) for lv in loads)}.\n"
    )


def plot_curves(task, lines, plt):
    runs = [r for r in lines if r.get("bench") == "sb3_compare_run"]
    if not runs:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    colors = {"dqrec": "tab:blue", "sb3": "tab:orange"}
    for impl in ("dqrec", "sb3"):
        for i, r in enumerate(r for r in runs if r["impl"] == impl):
            curve = np.array(r["curve"], float)
            label = NAMES[impl] if i == 0 else None
            axes[0].plot(curve[:, 0], curve[:, 2], color=colors[impl], alpha=0.7, label=label)
            axes[1].plot(curve[:, 1], curve[:, 2], color=colors[impl], alpha=0.7, label=label)
    if task == "cartpole":
        for ax in axes:
            ax.axhline(475, color="grey", ls="--", lw=0.8, label="475 threshold")
    axes[0].set_xlabel("environment steps")
    axes[1].set_xlabel("training wall time (s, evaluations excluded)")
    for ax in axes:
        ax.set_ylabel("greedy mean return per episode")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{TASKS[task]}: dqrec vs Stable-Baselines3 DQN, one line per seed")
    fig.tight_layout()
    path = IMAGES / f"sb3_{task}_curves.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_profile(lines, plt):
    env = [r for r in lines if r.get("bench") == "env_steps_per_second"]
    grad = [r for r in lines if r.get("bench") == "gradient_steps_per_second"]
    phases = [r for r in lines if r.get("bench") == "loop_phases"]
    if not (env or grad or phases):
        return None
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for kind in sorted({r["env"] for r in env}, reverse=True):
        pts = sorted((r["num_envs"], r["value"]) for r in env if r["env"] == kind)
        axes[0].loglog(*zip(*pts, strict=True), marker="o", label=kind)
    axes[0].set_xlabel("num_envs (shoppers stepped together)")
    axes[0].set_ylabel("environment steps per second")
    axes[0].set_title("Simulator throughput")
    axes[0].legend(fontsize=8)
    if grad:
        pts = sorted((r["batch_size"], r["value"]) for r in grad)
        axes[1].loglog(*zip(*pts, strict=True), marker="o")
    axes[1].set_xlabel("batch size (transitions)")
    axes[1].set_ylabel("gradient steps per second")
    axes[1].set_title("Default agent's train step")
    if phases:
        names = [r["phase"] for r in phases]
        axes[2].barh(names, [r["ms_per_iteration"] for r in phases], color="tab:green")
        axes[2].invert_yaxis()
    axes[2].set_xlabel("ms per training iteration")
    axes[2].set_title("Where one iteration's time goes")
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    path = IMAGES / "profile.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    IMAGES.mkdir(parents=True, exist_ok=True)
    data = {task: read_jsonl(RESULTS / f"sb3_{task}.jsonl") for task in TASKS}
    profile = read_jsonl(RESULTS / "profile.jsonl")
    machines = [r for lines in data.values() for r in lines if r.get("bench") == "machine"]
    parts = [machine_text(machines)]
    for task, lines in data.items():
        if lines:
            plot_curves(task, lines, plt)
            parts.append(f"### {TASKS[task]}\n\n{comparison_table(task, lines)}")
    if profile:
        plot_profile(profile, plt)
        load = sorted({r["load1"] for r in profile})
        parts.append(
            f"### Throughput profile\n\n(1-minute load average during the profile: "
            f"{load[0]:g} to {load[-1]:g}.)\n\n{profile_tables(profile)}"
        )
    tables = "\n".join(p for p in parts if p)
    page = PAGE.read_text()
    if BEGIN not in page or END not in page:
        sys.exit(f"{PAGE} lacks the markers {BEGIN} / {END}")
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    PAGE.write_text(f"{head}{BEGIN}\n{tables}\n{END}{tail}")
    print(f"wrote {PAGE} and the plots in {IMAGES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
