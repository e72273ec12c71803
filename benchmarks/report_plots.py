"""The plots of the book's benchmark page where a table does not read well.

Each ``plot_*(lines, plt)`` takes the parsed JSON lines of one result file and matplotlib's
``pyplot`` and returns a Figure; ``make_report.py`` saves it under ``book/images/benchmarks/``.
(The SB3 learning curves live in ``report_sb3.py``.)
"""

import numpy as np
from report_tables import of


def plot_profile(lines, plt):
    env = of(lines, "env_steps_per_second")
    grad = of(lines, "gradient_steps_per_second")
    phases = of(lines, "loop_phases")
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
    return fig


def plot_ope(lines, plt):
    rows = of(lines, "ope")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    titles = ("Expected reward of the first recommendation", "Mean return of a session")
    for ax, first, title in zip(axes, (True, False), titles, strict=True):
        mine = [r for r in rows if r["estimator"].startswith("first_") == first]
        for name in dict.fromkeys(r["estimator"] for r in mine):
            pts = sorted((r["num_sessions"], r["rmse"]) for r in mine if r["estimator"] == name)
            if pts:
                ax.loglog(*zip(*pts, strict=True), marker="o", label=name)
        ax.set_title(title)
        ax.set_xlabel("logged sessions")
        ax.set_ylabel("RMSE against the simulated truth")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    return fig


def plot_scale(lines, plt):
    rows = of(lines, "scale")
    sizes = np.array([r["num_items"] for r in rows], float)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    labels = {
        "latency_ms_per_shopper_b1": "recommend, batch 1 (ms / shopper)",
        "latency_ms_per_shopper_b256": "recommend, batch 256 (ms / shopper)",
        "train_step_ms_sampled": "train step, sampled candidates (ms)",
        "train_step_ms_full": "train step, max over all items (ms)",
    }
    for key, label in labels.items():
        ax.loglog(sizes, [r[key] for r in rows], marker="o", label=label)
    full = np.array([r["train_step_ms_full"] for r in rows])
    ax.loglog(sizes, full[-1] * sizes / sizes[-1], "k:", label="linear growth (reference)")
    ax.axhline(5.0, color="grey", lw=0.8, ls="--", label="5 ms target (batch 1)")
    ax.set_title("Cost against catalogue size")
    ax.set_xlabel("items in the catalogue")
    ax.set_ylabel("time (ms)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    return fig
