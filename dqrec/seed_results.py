"""Results over training seeds: the runs of ``benchmarks/bench_seeds.py``, paired seed by seed.

``bench_seeds.py`` trains every compared variant with several training seeds and evaluates
every policy of a seed on the same evaluation shoppers (``BENCHMARK_EVAL_SEED``, common
random numbers), so "variant minus reference" is one number per seed. ``paired`` puts a 95%
Student-t interval over seeds on those numbers; a variant is ahead or behind only when the
interval excludes zero. The notebooks and the benchmark page read the same file with these
functions, so they cannot disagree about which runs pair up.

    lines = read_seed_results("benchmarks/results/seeds.jsonl")
    runs = seed_returns(lines, "networks")[("default", 100_000)]  # {variant: {seed: return}}
    result = paired(runs["gru, item"], runs["pooled, item"])  # gru minus the default network
"""

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from dqrec.metrics import mean_ci

__all__ = [
    "DEFAULT_NETWORK",
    "FULL",
    "Paired",
    "paired",
    "read_seed_results",
    "seed_returns",
    "step_costs",
]

FULL = "full DQN"
"""The reference of the ablations (``--part chapter``): the default agent, nothing removed."""
DEFAULT_NETWORK = "pooled, item"
"""The package's default network (``NetworkConfig()``), the reference of ``--part networks``."""


class Paired(NamedTuple):
    """``first - second`` over the seeds both were trained with."""

    seeds: tuple  # the training seeds, ascending
    diffs: np.ndarray  # (num_seeds,) one difference of mean returns per seed
    mean: float
    half: float  # half-width of the 95% interval over seeds; nan with one seed

    @property
    def ahead_on(self) -> int:
        """On how many seeds ``first`` ended above ``second``."""
        return int((self.diffs > 0).sum())

    @property
    def verdict(self) -> str:
        """``"ahead"`` or ``"behind"`` (``first`` against ``second``) when the interval
        excludes zero, else ``"not distinguished"`` (``"one seed"`` without an interval)."""
        if len(self.seeds) < 2:
            return "one seed"
        if self.mean - self.half > 0:
            return "ahead"
        if self.mean + self.half < 0:
            return "behind"
        return "not distinguished"


def paired(first: dict, second: dict) -> Paired:
    """Pair ``{seed: mean return}`` dicts seed by seed: ``first - second`` with its interval."""
    seeds = tuple(sorted(set(first) & set(second)))
    if not seeds:
        raise ValueError(
            f"paired() needs a seed in both runs, got seeds {sorted(first)} and {sorted(second)}"
        )
    diffs = np.array([first[s] - second[s] for s in seeds], dtype=float)
    return Paired(seeds, diffs, *mean_ci(diffs))


def read_seed_results(path) -> list:
    """The JSON lines of a ``bench_seeds.py`` results file, as dicts, in file order."""
    lines = []
    for number, text in enumerate(Path(path).read_text().splitlines(), start=1):
        try:
            lines.append(json.loads(text))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}, line {number}: not a JSON object ({error.msg})") from None
    return lines


def seed_returns(lines, part: str, value="mean_return") -> dict:
    """``{(budget, total_steps): {variant: {seed: mean return}}}`` of one study (``part``:
    ``"chapter"``, ``"off"`` or ``"networks"``); a later line of the same run wins. With
    ``value=None`` each seed maps to its whole line instead of one field of it.

    In ``"networks"``, a seed without its own run of the default network borrows the full
    DQN run of the ``"chapter"`` study at the same budget: ``bench_seeds.py --skip-default``
    relies on it, as the two are the same configuration and seed."""
    groups, full = {}, {}
    for line in lines:
        if line.get("bench") != "seeds_run":
            continue
        key = (line["budget"], line["total_steps"])
        if line["part"] == part:
            runs = groups.setdefault(key, {}).setdefault(line["variant"], {})
            runs[line["seed"]] = line if value is None else line[value]
        if line["part"] == "chapter" and line["variant"] == FULL:
            full.setdefault(key, {})[line["seed"]] = line if value is None else line[value]
    if part == "networks":
        for key, variants in groups.items():
            default = {**full.get(key, {}), **variants.get(DEFAULT_NETWORK, {})}
            if default:
                variants[DEFAULT_NETWORK] = default
    return groups


def step_costs(lines) -> dict:
    """``{network: [CPU ms per gradient step, ...]}``, one entry per measurement in file order
    (``seeds_step_cost`` lines of ``--part networks``)."""
    costs = {}
    for line in lines:
        if line.get("bench") == "seeds_step_cost":
            costs.setdefault(line["variant"], []).append(line["cpu_ms_per_gradient_step"])
    return costs
