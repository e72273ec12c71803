"""dqrec against Stable-Baselines3 (``sb3_cartpole.jsonl``, ``sb3_shop.jsonl``) for the book.

The comparison tables, the verdicts against the targets set in advance, a seed-by-seed
table, and the learning-curve plots.
"""

import numpy as np
from report_tables import fmt, of, pm, table

NAMES = {"dqrec": "dqrec (TensorFlow)", "sb3": "Stable-Baselines3 (PyTorch)"}
TASKS = {"cartpole": "CartPole-v1", "shop": "Default shop"}
CARTPOLE_THRESHOLD = 475.0


def time_to(curve, threshold):
    for steps, seconds, mean_return, _ in curve:
        if mean_return >= threshold:
            return seconds, steps
    return None, None


def sb3_tables(task):
    def render(lines):
        return comparison_table(task, lines) + "\n" + per_seed_table(lines)

    return render


def comparison_table(task, lines):
    """Computed from the per-run lines, so a partial file (fewer seeds) still gives a table."""
    runs = of(lines, "sb3_compare_run")
    if not runs:
        return ""
    sb3_final = {r["seed"]: r["final_return"] for r in runs if r["impl"] == "sb3"}
    sb3_seconds = {r["seed"]: r["train_seconds"] for r in runs if r["impl"] == "sb3"}
    rows = []
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
        cells = [pm([r[k] for r in mine]) for k in ("final_return", "train_seconds")]
        cells.append(pm([r["env_steps_per_second"] for r in mine]))
        rows.append(
            [NAMES[impl], len(mine), *cells]
            + [fmt(float(np.median(reached)) if reached else None)]
            + [f"{len(reached)} of {len(times)}"]
        )
    text = table(
        ["implementation", "seeds", "final mean return", "training wall time (s)"]
        + ["env steps / s", "time to threshold (s, median)", "seeds reaching threshold"],
        rows,
    )
    text += "\n(± : half-width of the 95% Student-t interval over seeds.)\n"
    if task == "cartpole":
        dq = [r for r in runs if r["impl"] == "dqrec"]
        steps = max((r["env_steps"] for r in dq), default=0)
        ever = sum(time_to(r["curve"], CARTPOLE_THRESHOLD)[0] is not None for r in dq)
        final = sum(r["final_return"] >= CARTPOLE_THRESHOLD for r in dq)
        verdict = "met" if final >= 4 else "not met"
        if len(dq) < 5 and final < 4:
            verdict = f"not established ({len(dq)} seeds ran)"
        text += (
            f"\nThreshold: a greedy mean return of {CARTPOLE_THRESHOLD:g} over the evaluation "
            f"episodes. dqrec reached it at some evaluation within {steps:,} steps in "
            f"**{ever} of {len(dq)}** seeds and ended the run at or above it in "
            f"**{final} of {len(dq)}** seeds. Target (final return >= {CARTPOLE_THRESHOLD:g} "
            f"in at least 4 of 5 seeds): **{verdict}**.\n"
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


def per_seed_table(lines):
    runs = of(lines, "sb3_compare_run")
    rows = []
    for seed in sorted({r["seed"] for r in runs}):
        cells = [seed]
        for impl in ("dqrec", "sb3"):
            hit = [r for r in runs if r["seed"] == seed and r["impl"] == impl]
            best = max(p[2] for p in hit[0]["curve"]) if hit else None
            cells += [fmt(hit[0]["final_return"]) if hit else "–", fmt(best)]
        rows.append(cells)
    header = ["seed", "dqrec final return", "dqrec best evaluation"]
    return "Seed by seed:\n\n" + table(header + ["SB3 final return", "SB3 best evaluation"], rows)


def plot_curves(task):
    def draw(lines, plt):
        runs = of(lines, "sb3_compare_run")
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
                ax.axhline(
                    CARTPOLE_THRESHOLD,
                    color="grey",
                    ls="--",
                    lw=0.8,
                    label=f"{CARTPOLE_THRESHOLD:g} threshold",
                )
        axes[0].set_xlabel("environment steps")
        axes[1].set_xlabel("training wall time (s, evaluations excluded)")
        for ax in axes:
            ax.set_ylabel("greedy mean return per episode")
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=8)
        fig.suptitle(f"{TASKS[task]}: dqrec vs Stable-Baselines3 DQN, one line per seed")
        return fig

    return draw
