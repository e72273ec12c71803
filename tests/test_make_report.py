"""benchmarks/make_report.py: every kind of result file renders, an unknown file or line stops it
with one clear line, and the committed book page matches the committed results.

Fast and without TensorFlow: the report needs only NumPy, ``dqrec.metrics`` and matplotlib.
"""

import importlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))  # make_report and its report_* modules live there
make_report = importlib.import_module("make_report")
ReportError = make_report.ReportError
seeds_real = importlib.import_module("seeds_real")  # notebook 06's budget, as bench_seeds runs it


def curve(*returns, every=1000, seconds=10.0):
    """An evaluation curve ``[env_steps, train_seconds, mean_return, return_ci]``."""
    return [[every * (i + 1), seconds * (i + 1), r, 0.1] for i, r in enumerate(returns)]


def sb3_run(task, impl, seed, final, train_seconds, returns):
    return {
        "bench": "sb3_compare_run",
        "task": task,
        "impl": impl,
        "seed": seed,
        "final_return": final,
        "env_steps": 1000 * len(returns),
        "train_seconds": train_seconds,
        "env_steps_per_second": 1000 * len(returns) / train_seconds,
        "curve": curve(*returns, seconds=train_seconds / len(returns)),
        "load1_before": 0.5,
        "load1_after": 0.7,
    }


MACHINE = {
    "bench": "machine",
    "date": "2026-01-02T03:04:05+00:00",
    "cpu": "Test CPU",
    "cpu_count": 2,
    "load_avg": [0.25, 0.5, 0.75],
    "python": "3.11.7",
    "numpy": "2.4.6",
}


def dqn_line(seed, policy, mean_return):
    return {
        "bench": "dqn_vs_baselines",
        "long_term_effects": True,
        "seed": seed,
        "policy": policy,
        "mean_return": mean_return,
        "return_ci": 0.1,
        "ctr": 0.5,
        "conversion": 0.25,
        "revenue": 1.5,
        "session_length": 12.0,
        "coverage": 0.75,
        "num_sessions": 100,
        "train_seconds_dqn_and_myopic": 60.0 + seed,
    }


def scale_line(num_items, b1, load1):
    return {
        "bench": "scale",
        "num_items": num_items,
        "latency_ms_per_shopper_b1": b1,
        "latency_ms_per_shopper_b256": b1 / 10,
        "train_step_ms_sampled": 8.0,
        "train_step_ms_full": num_items / 10,
        "rss_mb": 800.0,
        "peak_rss_mb": 900.0,
        "load1": load1,
    }


def seeds_run(part, variant, seed, mean_return, steps=40_000, **extra):
    budget = {"chapter": "chapter", "off": "steps", "networks": "default"}[part]
    return {
        "bench": "seeds_run",
        "part": part,
        "budget": budget,
        "long_term_effects": part != "off",
        "total_steps": steps,
        "variant": variant,
        "seed": seed,
        "mean_return": mean_return,
        "return_ci": 0.1,
        "session_length": 12.0,
        "load1": 3.5,
        "train_seconds": 40.0,
        **extra,
    }


# One small synthetic file per kind, and strings its rendering must contain.
SAMPLES = {
    "env": [
        {"bench": "env_steps_per_second", "num_envs": 8, "value": 12345},
        *(
            {
                "bench": "policy_return",
                "policy": "random",
                "long_term_effects": effects,
                "num_shoppers": 10,
                "mean": mean,
                "ci95": 0.1,
            }
            for effects, mean in ((True, 0.625), (False, 1.875))
        ),
    ],
    "throughput": [
        {"bench": "env_steps_per_second", "num_envs": 2, "value": 777, "load1": 1.0},
        {
            "bench": "gradient_steps_per_second",
            "batch_size": 64,
            "steps_per_call": 4,
            "value": 10.0,
            "load1": 1.25,
        },
        {
            "bench": "default_training_run",
            "peak_rss_mb": 900,
            "seconds": 20.5,
            "mean_return": 5.5,
            "load1": 1.5,
        },
    ],
    "profile": [
        {"bench": "env_steps_per_second", "env": "VecShopEnv", "num_envs": 1, "value": 501},
        {"bench": "env_steps_per_second", "env": "VecShopEnv", "num_envs": 4, "value": 1585},
        {
            "bench": "gradient_steps_per_second",
            "batch_size": 32,
            "steps_per_call": 4,
            "value": 290.0,
            "transitions_per_second": 9280,
            "compile_seconds": 70.5,
        },
        *(
            {"bench": "loop_phases", "phase": phase, "ms_per_iteration": 20.0, "share": 0.5}
            for phase in ("acting", "train_step")
        ),
        {"bench": "loop_phases_total", "num_envs": 32, "ms_per_iteration": 40.0},
    ],
    "dqn_vs_baselines": [
        *(dqn_line(seed, "dqn", 5.0 + seed) for seed in (0, 1)),
        *(dqn_line(seed, "random", 0.5) for seed in (0, 1)),
        {"bench": "dqn_vs_baselines_summary", "long_term_effects": True, "policy": "dqn"},
    ],
    "sb3_cartpole": [
        MACHINE,
        sb3_run("cartpole", "dqrec", 0, 500.0, 40.0, (100.0, 480.0, 500.0)),
        sb3_run("cartpole", "sb3", 0, 16.5, 80.0, (500.0, 100.0, 16.5)),
    ],
    "sb3_shop": [
        MACHINE,
        sb3_run("shop", "dqrec", 0, 5.0, 15.0, (0.9, 4.0, 5.0)),
        sb3_run("shop", "sb3", 0, 0.8, 30.0, (0.7, 0.9, 0.8)),
    ],
    "ope": [
        {
            "bench": "ope",
            "estimator": name,
            "num_sessions": 1000,
            "bias": bias,
            "std": 0.01,
            "rmse": 0.02,
            "true_value": truth,
            "repeats": 3,
        }
        for name, bias, truth in (("first_dm", -0.00287, 0.059), ("dr", -0.0384, 0.83))
    ],
    "scale": [
        MACHINE,
        scale_line(100, 0.5, 2.0),
        scale_line(1000, 0.75, 3.0),
        {
            "bench": "scale_summary",
            "cost_growth_over_linear": {"latency_ms_per_shopper_b1": 0.15},
            "b1_under_5ms": True,
        },
    ],
    "cli": [
        {
            "bench": "cli_latency",
            "command": "help",
            "repeats": 5,
            "median_s": 0.082,
            "min_s": 0.071,
            "max_s": 0.097,
            "exit_code": 0,
            "stderr_lines": 0,
            "load_1min": 4.41,
        }
    ],
    "notebooks": [
        {
            "bench": "notebook",
            "notebook": "notebooks/01_x.ipynb",
            "seconds": 26.8,
            "cpu_seconds": 26.7,
            "peak_rss_mb": 632,
            "load1": 1.0,
        },
        {"bench": "notebooks_total", "seconds": 26.8, "cpu_seconds": 26.7, "load1": 1.0},
    ],
    "portability": [
        {
            "bench": "portability",
            "setting": name,
            "env": env,
            "total_steps": 1200,
            "max_abs_weight_diff": diff,
            "identical": diff == 0,
            "final_return": 0.6461,
            "load_1min": 7.25,
        }
        for name, env, diff in (("default", {}, 0.0), ("xla", {"XLA_FLAGS": "x"}, 2.4e-07))
    ],
    "offline": [
        {"bench": "offline", "kind": "run", "split": "test", "cases": 4695, "transitions": 9},
        {"bench": "offline", "kind": "seed", "method": "backbone", "seed": 0, "train_s": 26.3}
        | {"hr@10": 0.62, "ndcg@10": 0.22, "value@10": 35.1, "load1": 5.0},
        {"bench": "offline", "kind": "summary", "method": "backbone", "seeds": 5}
        | {"hr@10": 0.623, "hr@10_ci95": 0.011, "ndcg@10": 0.22, "ndcg@10_ci95": 0.005}
        | {"value@10": 35.1, "value@10_ci95": 0.6, "load1": 5.0},
    ],
    "offline_validation": [
        {"bench": "offline", "kind": "run", "args": {"encoder": "gru", "no_repeat": False}},
        {"bench": "offline", "kind": "seed", "method": "backbone", "seed": 0, "train_s": 104.4}
        | {"hr@10": 0.652, "ndcg@10": 0.238, "value@10": 35.2, "load1": 5.07},
    ],
    "slates": [
        {"bench": "machine", "date": "2026-01-02T00:00:00", "cpu": "Test CPU", "cpu_count": 2}
        | {"load_avg": [1.0, 1.0, 1.0]},
        {"bench": "slates_cost", "num_items": 50, "k": 5, "method": "enumerate"}
        | {"seconds_per_shopper": 4.4, "note": ""},
        {"bench": "slates_cost", "num_items": 1000, "k": 5, "method": "enumerate"}
        | {"seconds_per_shopper": None, "note": "C(1000, 5) = 8.25e+12 slates"},
        *(
            {"bench": "slates_run", "effects": "on", "seed": seed, "policy": policy}
            | {"mean_return": ret, "mean_length": 30.0, "choices_per_step": 0.8}
            | {"clickbait_shown": 0.01, "train_s": 60.0, "load1": 2.0}
            for seed, policy, ret in ((0, "slateq", 7.0), (1, "slateq", 8.0))
        ),
        {"bench": "slates_run", "effects": "on", "seed": None, "policy": "myopic_oracle"}
        | {"mean_return": 6.4, "mean_length": 24.0, "choices_per_step": 0.9}
        | {"clickbait_shown": 0.02, "train_s": 0.0, "load1": 2.0},
        {"bench": "slates_summary", "effects": "on", "policy": "slateq", "seeds": 2}
        | {"mean_return": 7.5, "ci_half_width": 6.4},
        {"bench": "slates_paired", "effects": "on", "policy": "slateq"}
        | {"against": "myopic_slate", "seeds": 2, "mean_difference": 2.5, "ci_low": -1.0}
        | {"ci_high": 6.0, "relative_gain": 0.5},
    ],
    "speed": [
        MACHINE | {"before": "abc1234"},
        {"bench": "gradient_steps_per_second", "batch_size": 256, "steps_per_call": 4}
        | {"before": 500.0, "after": 1500.0, "ratio": 3.0, "load1": 1.0}
        | {"before_compile_seconds": 9.5, "after_compile_seconds": 4.25}
        | {"before_cpu_rate": 400.0, "after_cpu_rate": 1000.0},
        {"bench": "train_env_steps_per_second", "total_steps": 100_000, "before": 5000.0}
        | {"after": 20000.0, "ratio": 4.0, "before_short_run_seconds": 12.0}
        | {"after_short_run_seconds": 6.0, "before_mean_return": 1.0, "after_mean_return": 1.5},
        {"bench": "seeds_per_minute", "seeds": 4, "steps": 20_000, "mode": "sequential"}
        | {"before": 3.0, "after": 6.0, "ratio": 2.0},
        {"bench": "seeds_per_minute", "seeds": 4, "steps": 20_000, "mode": "train_seeds"}
        | {"after": 11.0, "after_processes": 2},
    ],
    "step_profile": [
        MACHINE,
        {"bench": "step_piece", "piece": "call", "batch_size": 256, "steps_per_call": 4}
        | {"us_per_step": 50.0, "piece_us": 50.0, "share": 0.1, "load1": 1.0},
        {"bench": "step_piece", "piece": "optimizer", "batch_size": 256, "steps_per_call": 4}
        | {"us_per_step": 500.0, "piece_us": 450.0, "share": 0.9, "load1": 1.0},
        {"bench": "step_flops", "batch_size": 256, "flops_per_step": 10_000_000}
        | {"achieved_gflops": 20.0, "peak_gflops": 160, "flop_bound_steps_per_second": 16_000},
    ],
    "seeds": [
        MACHINE,
        # full DQN ahead of random by 1.0, 2.0, 3.0: mean 2, t(0.975, 2) * 1 / sqrt(3) = 2.48
        *(seeds_run("chapter", "full DQN", s, 1.5 + s) for s in range(3)),
        *(seeds_run("chapter", "random", s, 0.5) for s in range(3)),
        # off: DQN behind myopic by 0.5 on every seed (the myopic runs from another invocation)
        *(seeds_run("off", "myopic (gamma = 0)", s, 3.0, 50_000) for s in range(3)),
        *(seeds_run("off", "DQN (target_period=1000)", s, 2.5, 50_000) for s in range(3)),
        *(seeds_run("off", "DQN", s, 2.0 + s, 50_000) for s in range(3)),
        *(
            seeds_run("networks", net, s, r, 100_000)
            for s in range(2)
            for net, r in (("pooled, item", 6.0), ("mlp, dense", 1.0 + s))
        ),
        *(
            {"bench": "seeds_step_cost", "variant": net, "cpu_ms_per_gradient_step": ms}
            for net, ms in (("pooled, item", 2.5), ("mlp, dense", 1.25))
        ),
        {"bench": "seeds_paired", "part": "chapter", "first": "full DQN", "second": "random"},
    ],
    "seeds_real": [
        MACHINE,
        # backbone ahead of co-purchase by 0.1 and 0.2 (NDCG@10): mean 0.15, CI 12.71 * 0.05
        *(
            {"bench": "seeds_real_run", "part": "next basket", "variant": name, "seed": s}
            | {"ndcg@10": v + s * w, "hit_rate@10": 0.5, "value@10": 30.0}
            for s in range(2)
            for name, v, w in (("backbone", 0.3, 0.2), ("co-purchase", 0.2, 0.1))
        ),
        *(
            {"bench": "seeds_real_run", "part": "calibrated shop", "variant": name, "seed": s}
            | {"mean_return": r, "ctr": 0.5, "coverage": 0.25}
            for s in range(2)
            for name, r in (("DQN (calibrated shop)", 5.0), ("random", 1.0))
        ),
        *(
            {"bench": "seeds_real_seed", "seed": s, "wall_seconds": 100.0 + s}
            | {"cpu_seconds": 80.0, "load1": 1.5, "budget": seeds_real.NB06}
            for s in range(2)
        ),
    ],
}

EXPECTED = {
    "env": ["| 8 | 12,345 |", "| `random` | 0.625 ± 0.1 | 1.88 ± 0.1 |", "not recorded"],
    "throughput": [
        "| 64 | 10 | 640 | 4 |",
        "| `TrainConfig()` | 900 | 20.5 | 5.5 |",
        "1.00 to 1.50",
    ],
    "profile": ["| 4 | 1,585 |", "| 32 | 290 | 9,280 | 70.5 |", "| acting | 20 | 50% |"],
    "dqn_vs_baselines": ["**Long-term effects on** (2 training seeds", "| dqn | 2 | 5.5 ± 6.4 |"],
    "sb3_cartpole": [
        "Measured on 2026-01-02: CPU Test CPU, 2 cores",
        "**1 of 1** seeds",
        "**not established (1 seeds ran)**",
        "| 0 | 500 | 500 | 16.5 | 500 |",
    ],
    "sb3_shop": ["seed by seed: 0.17.", "Target (at most 1/3 for every seed): **met**"],
    "ope": ["true value 0.059;", "| `first_dm` | 1000 | -0.00287 |", "| `dr` | 1000 | -0.0384 |"],
    "scale": ["| 1,000 | 0.75 | 0.075 | 8 | 100 | 800 | 900 | 3 |", "batch 1 with the largest"],
    "cli": ["| `help` | 5 | 0.082 | 0.071 | 0.097 | 0 | 0 |", "4.41."],
    "notebooks": ["| `01_x.ipynb` | 26.8 | 26.7 | 632 |", "| **total** | 26.8 | 26.7 | – |"],
    "portability": ["| `xla` | `XLA_FLAGS=x` | 2.4e-07 | no | 0.6461 |", "1,200 steps"],
    "offline": ["4695 test baskets", "| backbone | 0.623 ± 0.011 | 0.22 ± 0.005 | 35.1 ± 0.6 |"],
    "offline_validation": ["| backbone | gru | yes | 0.652 | 0.238 | 35.2 | 104 |"],
    "slates": [
        "**Long-term effects on**",
        "| slateq | 2 | 7.5 ± 6.4 | 30 | 0.8 | 0.01 | 60 |",
        "| myopic_oracle | – | 6.4 | 24 | 0.9 | 0.02 | 0 |",
        "| myopic_slate | 2 | 2.5 | [-1, 6] | +50% |",
        "| enumerate | 4,400,000 | not tried: C(1000, 5) = 8.25e+12 slates |",
    ],
    "speed": [
        "| gradient steps / s (batch 256, 4 per call) | `abc1234` | 500 | 1,500 | 3.00 |",
        "| `train(TrainConfig())` env steps / s, excluding compile | `abc1234` | 5,000 | 20,000 | 4.00 |",
        "| 4 | 20,000 | train_seeds | – | 11 | 2 |",
        "| gradient steps / CPU-second (4 per call) | `abc1234` | 400 | 1,000 | 2.50 |",
    ],
    "step_profile": [
        "| optimizer | 500 | 450 | 90% |",
        "which alone would allow 16,000 steps / s.",
    ],
    "seeds": [
        "**Default shop, long-term effects on: 40,000 environment steps** (notebook 04's",
        "| full DQN − random | 3 | 2 ± 2.5 | 3 of 3 | 1, 2, 3 | not distinguished |",
        "| DQN (target_period=1000) − myopic (gamma = 0) | 3 | -0.5 ± 0 | 0 of 3 |",
        "-0.5, -0.5, -0.5 | **behind** |",
        "| DQN (target_period=1000) − DQN | 3 | -0.5 ± 2.5 | 1 of 3 | 0.5, -0.5, -1.5 |",
        "| mlp, dense | 2 | 1.5 ± 6.4 | 40 | 1.25 |",
        "| mlp, dense − pooled, item | 2 | -4.5 ± 6.4 | 0 of 2 | -5, -4 | not distinguished |",
    ],
    "seeds_real": [
        "Notebook 06's budget: 1500 customers drawn by the seed, 400 gradient steps",
        "| 1 | 101 | 80 | 1.5 |",
        "| backbone | 2 | 0.4 ± 1.3 | 0.5 ± 0 | 30 ± 0 |",
        "| backbone − co-purchase | ndcg@10 | 2 | 0.15 ± 0.64 | 2 of 2 | not distinguished |",
        "| DQN (calibrated shop) − random | mean_return | 2 | 4 ± 0 | 2 of 2 | **ahead** |",
    ],
}


def test_every_known_result_file_has_a_sample():
    assert set(SAMPLES) == set(make_report.SECTIONS) == set(EXPECTED)


@pytest.mark.parametrize("name", list(make_report.SECTIONS))
def test_each_kind_renders_its_subsection(name):
    section = make_report.SECTIONS[name]
    text = make_report.render({name: SAMPLES[name]})
    assert text.startswith(f"### {section.title}\n")
    assert f"```bash\n{section.command}\n```" in text
    assert f"benchmarks/results/{name}.jsonl" in section.command
    for expected in EXPECTED[name]:
        assert expected in text, f"{name}: {expected!r} not in\n{text}"
    image = f"](images/benchmarks/{section.image})"
    assert (image in text) == bool(section.plot)


def test_subsections_follow_the_page_order():
    text = make_report.render(dict(reversed(SAMPLES.items())))
    titles = [line[4:] for line in text.splitlines() if line.startswith("### ")]
    assert titles == [s.title for s in make_report.SECTIONS.values()]


def write_results(folder, results):
    folder.mkdir(exist_ok=True)
    for name, lines in results.items():
        (folder / name).write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder


@pytest.mark.parametrize("unknown", ["unknown.jsonl", "bench_scale.png"])
def test_an_unknown_result_file_fails(tmp_path, unknown):
    folder = write_results(tmp_path / "results", {"cli.jsonl": SAMPLES["cli"], unknown: []})
    with pytest.raises(ReportError, match=unknown.replace(".", r"\.")):
        make_report.read_results(folder)
    with pytest.raises(ReportError, match="offline"):
        make_report.render({"offline": [{"bench": "x"}]})


def test_an_unknown_line_in_a_known_file_fails():
    lines = [*SAMPLES["env"], {"bench": "env_new_measurement", "value": 1}]
    with pytest.raises(ReportError, match=r"env\.jsonl line 4: bench 'env_new_measurement'"):
        make_report.render({"env": lines})


def test_a_line_without_a_field_fails():
    lines = [{k: v for k, v in SAMPLES["cli"][0].items() if k != "median_s"}]
    with pytest.raises(ReportError, match=r"cli\.jsonl: a line lacks the field 'median_s'"):
        make_report.render({"cli": lines})


def test_a_line_that_is_not_json_fails(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "cli.jsonl").write_text(json.dumps(SAMPLES["cli"][0]) + "\nTraceback (most\n")
    with pytest.raises(ReportError, match=r"cli\.jsonl line 2: not a JSON object"):
        make_report.read_results(folder)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """make_report pointed at a copy of the page and a results folder of the samples."""
    results = write_results(
        tmp_path / "results", {f"{k}.jsonl": v for k, v in SAMPLES.items() if k != "profile"}
    )
    page = tmp_path / "benchmarks.md"
    page.write_text(f"# Head\n\n{make_report.BEGIN}\nold\n{make_report.END}\n\nTail\n")
    monkeypatch.setattr(make_report, "RESULTS", results)
    monkeypatch.setattr(make_report, "PAGE", page)
    monkeypatch.setattr(make_report, "IMAGES", tmp_path / "images")
    return tmp_path


def test_main_writes_the_region_and_the_plots_and_check_agrees(sandbox, capsys):
    assert make_report.main(["--check"]) == 1  # the region still says "old"
    assert make_report.main([]) == 0
    page = (sandbox / "benchmarks.md").read_text()
    assert page.startswith(f"# Head\n\n{make_report.BEGIN}\n### ")
    assert page.endswith(f"{make_report.END}\n\nTail\n")
    drawn = sorted(p.name for p in (sandbox / "images").iterdir())
    plotted = [s.image for k, s in make_report.SECTIONS.items() if s.plot and k != "profile"]
    assert drawn == sorted(plotted)
    assert make_report.main(["--check"]) == 0


def test_main_stops_on_an_unknown_file_with_one_line(sandbox, capsys):
    (sandbox / "results" / "unknown.jsonl").write_text("")
    before = (sandbox / "benchmarks.md").read_text()
    assert make_report.main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("make_report: error: ")
    assert "unknown.jsonl" in err and "SECTIONS" in err
    assert (sandbox / "benchmarks.md").read_text() == before  # nothing half-written
    assert not (sandbox / "images").exists()


def test_the_committed_page_matches_the_committed_results():
    page = (ROOT / "book" / "benchmarks.md").read_text()
    results = make_report.read_results(ROOT / "benchmarks" / "results")
    assert make_report.generated_region(page) == make_report.render(results), (
        "book/benchmarks.md is out of date: run python benchmarks/make_report.py"
    )
    for name in results:
        section = make_report.SECTIONS[name]
        if section.plot:
            assert (ROOT / "book" / "images" / "benchmarks" / section.image).is_file()


def test_a_networks_study_without_the_default_network_pairs_with_the_full_dqn_runs():
    lines = [
        *(
            seeds_run("chapter", "full DQN", s, 6.0, 100_000) | {"budget": "default"}
            for s in (0, 1)
        ),
        *(seeds_run("networks", "gru, item", s, 5.0 + s, 100_000) for s in (0, 1)),
    ]
    text = make_report.render({"seeds": lines})
    assert "| gru, item − pooled, item (the full DQN runs above) | 2 | -0.5 ± 6.4 |" in text
    assert "| pooled, item (the full DQN runs above) | 2 | 6 ± 0 | 40 | – |" in text


def test_a_networks_study_with_some_own_default_runs_borrows_only_the_missing_seeds():
    lines = [
        *(
            seeds_run("chapter", "full DQN", s, 6.0, 100_000) | {"budget": "default"}
            for s in (0, 1)
        ),
        *(seeds_run("networks", "gru, item", s, 5.0 + s, 100_000) for s in (0, 1, 3)),
        seeds_run("networks", "pooled, item", 3, 4.0, 100_000),
        *(
            {"bench": "seeds_step_cost", "variant": "gru, item", "cpu_ms_per_gradient_step": ms}
            for ms in (4.0, 5.0)
        ),
    ]
    text = make_report.render({"seeds": lines})
    default = "pooled, item (seeds 0, 1: the full DQN runs above)"
    # gru minus default per seed: 5 - 6, 6 - 6, 8 - 4 = -1, 0, 4
    assert f"| gru, item − {default} | 3 | 1 ± 6.6 | 1 of 3 | -1, 0, 4 |" in text
    assert "CPU ms / gradient step (batch 256, mean of 2 measurements)" in text
    assert "| gru, item | 3 | 6.33 ± 3.8 | 40 | 4.5 |" in text
