"""Pairing bench_seeds runs seed by seed, against differences worked out by hand."""

import json
import math

import numpy as np
import pytest

from dqrec.seed_results import paired, read_seed_results, seed_returns, step_costs


def run(part, variant, seed, mean_return, budget="default", steps=100_000):
    return {
        "bench": "seeds_run",
        "part": part,
        "budget": budget,
        "total_steps": steps,
        "variant": variant,
        "seed": seed,
        "mean_return": mean_return,
    }


def test_paired_differences_interval_and_verdict():
    # diffs 1, 2, 3: mean 2, s = 1, half-width t(0.975, 2) * 1 / sqrt(3) = 4.303 / 1.732 = 2.484
    result = paired({0: 3.0, 1: 5.0, 2: 6.0, 7: 9.0}, {0: 2.0, 1: 3.0, 2: 3.0})
    assert result.seeds == (0, 1, 2)  # seed 7 has no partner
    np.testing.assert_allclose(result.diffs, [1.0, 2.0, 3.0])
    assert result.mean == pytest.approx(2.0)
    assert result.half == pytest.approx(2.484, abs=1e-3)
    assert result.ahead_on == 3
    assert result.verdict == "not distinguished"  # 2 - 2.484 < 0
    assert paired({0: 1.0, 1: 1.1, 2: 1.2}, {0: 0.0, 1: 0.0, 2: 0.0}).verdict == "ahead"
    assert paired({0: 0.0, 1: 0.0}, {0: 1.0, 1: 1.0 + 1e-9}).verdict == "behind"
    one = paired({4: 2.0}, {4: 1.0})
    assert one.verdict == "one seed" and math.isnan(one.half)


def test_paired_without_a_shared_seed_names_both_seed_lists():
    with pytest.raises(ValueError, match=r"seeds \[0, 1\] and \[2\]"):
        paired({0: 1.0, 1: 1.0}, {2: 1.0})


def test_seed_returns_groups_by_study_and_budget_last_line_wins():
    lines = [
        {"bench": "machine"},
        run("chapter", "full DQN", 0, 5.0, budget="chapter", steps=40_000),
        run("chapter", "full DQN", 0, 6.0, budget="chapter", steps=40_000),  # a rerun
        run("off", "DQN", 0, 1.0, budget="steps", steps=25_000),
    ]
    assert seed_returns(lines, "chapter") == {("chapter", 40_000): {"full DQN": {0: 6.0}}}
    assert seed_returns(lines, "off") == {("steps", 25_000): {"DQN": {0: 1.0}}}
    assert seed_returns(lines, "chapter", value=None)["chapter", 40_000]["full DQN"][0] == lines[2]


def test_networks_borrow_the_full_dqn_runs_only_for_seeds_without_their_own():
    lines = [
        run("chapter", "full DQN", 0, 6.0),
        run("chapter", "full DQN", 1, 7.0),
        run("chapter", "full DQN", 0, 9.0, budget="chapter", steps=40_000),  # other budget
        run("networks", "gru, item", 0, 5.0),
        run("networks", "gru, item", 3, 4.0),
        run("networks", "pooled, item", 3, 4.5),
    ]
    runs = seed_returns(lines, "networks")[("default", 100_000)]
    assert runs["pooled, item"] == {0: 6.0, 1: 7.0, 3: 4.5}
    result = paired(runs["gru, item"], runs["pooled, item"])
    assert result.seeds == (0, 3)
    np.testing.assert_allclose(result.diffs, [-1.0, -0.5])


def test_step_costs_keep_every_measurement_in_file_order():
    lines = [
        {"bench": "seeds_step_cost", "variant": "gru, item", "cpu_ms_per_gradient_step": 4.5},
        run("networks", "gru, item", 0, 5.0),
        {"bench": "seeds_step_cost", "variant": "gru, item", "cpu_ms_per_gradient_step": 5.5},
    ]
    assert step_costs(lines) == {"gru, item": [4.5, 5.5]}


def test_read_seed_results_names_the_bad_line(tmp_path):
    path = tmp_path / "seeds.jsonl"
    path.write_text(json.dumps(run("off", "DQN", 0, 1.0)) + "\n{not json\n")
    with pytest.raises(ValueError, match=r"seeds.jsonl, line 2: not a JSON object"):
        read_seed_results(path)
    path.write_text(json.dumps(run("off", "DQN", 0, 1.0)) + "\n")
    assert read_seed_results(path)[0]["variant"] == "DQN"
