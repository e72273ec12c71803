"""Markdown for ``seeds.jsonl`` (``bench_seeds.py``): returns over seeds and paired differences.

The paired tables are computed here from the ``seeds_run`` lines alone, so runs of one study
appended by several invocations (say, a DQN variant trained later against the myopic runs
of an earlier one) pair up by seed. Pure text: NumPy, ``dqrec.metrics``
and ``dqrec.seed_results`` (which pairs the runs for the notebooks too) only.
"""

from report_tables import fmt, of, pm, summary, table

from dqrec.seed_results import DEFAULT_NETWORK, FULL, paired, seed_returns, step_costs

MYOPIC = "myopic (gamma = 0)"
BORROWED = "pooled, item (the full DQN runs above)"
PARTS = {
    "chapter": "Default shop, long-term effects on",
    "off": "Long-term effects off",
    "networks": "Notebook 03's networks as full DQN agents, default shop",
}


def _groups(runs):
    """``{(part, budget, total_steps): {variant: {seed: line}}}`` in file order (last wins).

    A networks study run with ``--skip-default`` borrows, for the seeds it did not train the
    default network with, the full DQN runs of the chapter study at the same budget (the
    same configuration and seeds; ``dqrec.seed_results.seed_returns``); the label says which."""
    groups = {}
    for part in PARTS:
        for (budget, steps), variants in seed_returns(runs, part, value=None).items():
            if part == "networks" and DEFAULT_NETWORK in variants:
                default = variants.pop(DEFAULT_NETWORK)  # listed last, after the candidates
                borrowed = [s for s in sorted(default) if default[s]["part"] == "chapter"]
                if len(borrowed) == len(default):
                    label = BORROWED
                elif borrowed:
                    seeds = ", ".join(map(str, borrowed))
                    label = f"{DEFAULT_NETWORK} (seeds {seeds}: the full DQN runs above)"
                else:
                    label = DEFAULT_NETWORK
                variants[label] = default
            groups[part, budget, steps] = variants
    return groups


def _reference(part, variants):
    """Which variant every other one is paired against, and the sign of the difference."""
    if part == "chapter":
        return FULL, "reference minus variant"
    if part == "networks":
        default = [n for n in variants if n.split(" (")[0] == DEFAULT_NETWORK]
        return (default or [DEFAULT_NETWORK])[0], "variant minus reference"
    return MYOPIC, "variant minus reference"


def verdict(mean, half, seeds):
    """'ahead' / 'behind' (of the first named) when the 95% interval excludes 0."""
    if seeds < 2:
        return "one seed"
    if mean - half > 0:
        return "**ahead**"
    if mean + half < 0:
        return "**behind**"
    return "not distinguished"


def paired_rows(part, variants):
    reference, sign = _reference(part, variants)
    if reference not in variants:
        return reference, sign, []
    rows = _pairs(variants, reference, sign, [n for n in variants if n != reference])
    if part == "off" and "DQN" in variants:  # a changed DQN run against the unchanged one
        changed = [n for n in variants if n.startswith("DQN (")]
        rows += _pairs(variants, "DQN", "variant minus reference", changed)
    return reference, sign, rows


def _pairs(variants, reference, sign, names):
    ref = variants[reference]
    rows = []
    for name in names:
        per_seed = variants[name]
        if not set(per_seed) & set(ref):
            continue
        returns = {s: r["mean_return"] for s, r in per_seed.items()}
        ref_returns = {s: r["mean_return"] for s, r in ref.items()}
        if sign == "reference minus variant":
            seeds, diffs, mean, half = paired(ref_returns, returns)
            label = f"{reference} − {name}"
        else:
            seeds, diffs, mean, half = paired(returns, ref_returns)
            label = f"{name} − {reference}"
        half = 0.0 if half != half else half  # one seed: no interval (the verdict says so)
        rows.append(
            [
                label,
                len(seeds),
                f"{fmt(mean)} ± {fmt(half, 2)}",
                f"{sum(d > 0 for d in diffs)} of {len(seeds)}",
                ", ".join(fmt(d, 2) for d in diffs),
                verdict(mean, half, len(seeds)),
            ]
        )
    return rows


def _returns_rows(part, variants, cost):
    rows = []
    for name, per_seed in variants.items():
        lines = [per_seed[s] for s in sorted(per_seed)]
        mean, half = summary([r["mean_return"] for r in lines])
        row = [name, len(lines), f"{fmt(mean)} ± {fmt(half, 2)}"]
        trained = [r["train_seconds"] for r in lines if "train_seconds" in r]
        row.append(fmt(sum(trained) / len(trained)) if trained else "–")
        if part == "networks":
            row.append(fmt(cost.get(name.split(" (")[0])))
        rows.append(row)
    return rows


def seeds_tables(lines):
    text = ""
    costs = step_costs(lines)  # every measurement; the table shows their mean
    cost = {name: sum(ms) / len(ms) for name, ms in costs.items()}
    groups = _groups(of(lines, "seeds_run"))
    for part, budget, steps in sorted(groups, key=lambda k: (list(PARTS).index(k[0]), k[2])):
        variants = groups[part, budget, steps]
        budget_text = {
            "chapter": "notebook 04's chapter budget",
            "default": "the package default budget",
        }.get(budget, "epsilon decaying over half the run")
        text += f"**{PARTS[part]}: {steps:,} environment steps** ({budget_text}):\n\n"
        header = ["policy", "seeds", "mean return", "train s (mean)"]
        if part == "networks":
            runs = max((len(ms) for ms in costs.values()), default=0)
            header.append(
                "CPU ms / gradient step (batch 256"
                + (f", mean of {runs} measurements)" if runs > 1 else ")")
            )
        text += table(header, _returns_rows(part, variants, cost)) + "\n"
        reference, sign, rows = paired_rows(part, variants)
        if rows:
            text += (
                f"Paired over seeds ({sign}; every policy of a seed met the same evaluation "
                "shoppers):\n\n"
            )
            text += table(
                ["difference", "seeds", "mean ± 95% CI", "positive on", "per seed", "verdict"],
                rows,
            )
            text += "\n"
    return text + (
        "(mean ± half-width of the 95% Student-t interval over training seeds; the verdict "
        "says the first-named policy is **ahead** or **behind** only when the interval of the "
        "difference excludes zero.)\n"
    )


# notebook 06 over seeds (``bench_seeds.py --part real``): (part, first, second, metrics)
REAL_PAIRS = (
    ("next basket", "co-purchase", "popularity", ("ndcg@10", "hit_rate@10")),
    ("next basket", "popularity", "offline Q-network", ("ndcg@10", "hit_rate@10")),
    ("next basket", "backbone", "co-purchase", ("ndcg@10", "hit_rate@10")),
    ("next basket", "SQN + CQL", "backbone", ("ndcg@10", "hit_rate@10", "value@10")),
    ("next basket", "SQN + CQL", "co-purchase", ("ndcg@10", "hit_rate@10")),
    ("next basket", "own purchases", "SQN + CQL", ("ndcg@10", "hit_rate@10")),
    ("next basket", "offline Q-network, gamma 0", "offline Q-network, gamma 0.9", ("ndcg@10",)),
    (
        "calibrated shop",
        "DQN (calibrated shop)",
        "popularity (real counts)",
        ("mean_return", "ctr"),
    ),
    ("calibrated shop", "DQN (calibrated shop)", "random", ("mean_return",)),
    ("calibrated shop", "oracle (myopic, sees latent)", "DQN (calibrated shop)", ("mean_return",)),
    ("calibrated shop", "DQN (calibrated shop)", "DQN, 1-step targets", ("mean_return",)),
    ("calibrated shop", "DQN, 1-step targets", "popularity (real counts)", ("mean_return",)),
)
REAL_COLUMNS = {
    "next basket": ("ndcg@10", "hit_rate@10", "value@10"),
    "calibrated shop": ("mean_return", "ctr", "coverage"),
}


def seeds_real_tables(lines):
    """``seeds_real.jsonl``: notebook 06's rankers and policies over seeds, then the paired
    differences (first minus second, per seed on the same baskets or shoppers)."""
    runs = {}  # (part, variant) -> {seed: line}
    for r in of(lines, "seeds_real_run"):
        runs.setdefault((r["part"], r["variant"]), {})[r["seed"]] = r
    per_seed = of(lines, "seeds_real_seed")
    if not per_seed:
        return ""
    budget = per_seed[-1]["budget"]
    text = (
        f"Notebook 06's budget: {budget['num_customers']} customers drawn by the seed, "
        f"{budget['offline_steps']} gradient steps of the offline Q-network, "
        f"{budget['seq_steps']} of the backbone and of SQN + CQL, {budget['dqn_steps']:,} "
        f"environment steps of DQN, {budget['num_eval_shoppers']} evaluation shoppers. "
        "Run time per seed (everything above trained once):\n\n"
    )
    text += table(
        ["seed", "wall s", "CPU s", "load (1 min)"],
        [[r["seed"], fmt(r["wall_seconds"]), fmt(r["cpu_seconds"]), r["load1"]] for r in per_seed],
    )
    for part, columns in REAL_COLUMNS.items():
        rows = []
        for (p, name), seeds in runs.items():
            if p == part:
                lines_ = [seeds[s] for s in sorted(seeds)]
                rows.append([name, len(lines_)] + [pm([r[c] for r in lines_]) for c in columns])
        text += f"\n**{part.capitalize()}** (mean ± 95% CI over seeds):\n\n"
        text += table(["policy", "seeds", *columns], rows)
    rows = []
    for part, first, second, metrics in REAL_PAIRS:
        a, b = runs.get((part, first), {}), runs.get((part, second), {})
        seeds = sorted(set(a) & set(b))
        for metric in metrics:
            if not seeds:
                continue
            diffs = [a[s][metric] - b[s][metric] for s in seeds]
            mean, half = summary(diffs)
            rows.append(
                [
                    f"{first} − {second}",
                    metric,
                    len(seeds),
                    f"{fmt(mean)} ± {fmt(half, 2)}",
                    f"{sum(d > 0 for d in diffs)} of {len(seeds)}",
                    verdict(mean, half, len(seeds)),
                ]
            )
    text += "\nPaired over seeds (first minus second):\n\n"
    text += table(
        ["difference", "metric", "seeds", "mean ± 95% CI", "positive on", "verdict"], rows
    )
    return text
