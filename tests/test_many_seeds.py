"""Many seeds at once: run i of a pool of workers equals the same run trained here alone."""

import numpy as np
import pytest
from test_train import small_config as train_small_config

from dqrec.config import ConfigError
from dqrec.many_seeds import PROCESS_MIN_STEPS, default_processes, train_many, train_seeds


def small_config(**changes):
    # test_train's small run (one home for it), shortened: pools of spawned workers are slow
    return train_small_config(**{"total_steps": 800, "epsilon_decay_steps": 400, **changes})


@pytest.mark.slow
def test_each_seed_of_a_pool_equals_its_run_alone():
    """Exact equality: a worker runs the same code on the same seed; only the thread pool
    sizes differ, and the small matrix products of this network do not split their sums
    across threads."""
    from dqrec.train import train

    pooled = train_seeds(small_config(), seeds=[0, 1], processes=2)
    assert len(pooled) == 2
    for seed, history in zip([0, 1], pooled, strict=True):
        alone = train(small_config(seed=seed))
        assert history.losses == alone.losses
        assert history.eval_returns == alone.eval_returns
        assert history.episode_returns == alone.episode_returns
        for wp, wa in zip(
            history.agent.online.get_weights(), alone.agent.online.get_weights(), strict=True
        ):
            np.testing.assert_array_equal(wp, wa)
        assert history.agent.gradient_steps == alone.agent.gradient_steps
    assert pooled[0].losses != pooled[1].losses  # the seeds really differ


def test_one_process_runs_here_in_order():
    histories = train_many([small_config(total_steps=240, seed=s) for s in (3, 4)], processes=1)
    assert [len(h.eval_returns) for h in histories] == [1, 1]
    assert histories[0].losses != histories[1].losses


def test_default_processes_is_one_per_core_at_most_the_runs():
    assert default_processes(1) == 1
    assert 1 <= default_processes(64) <= 64
    assert default_processes(64, PROCESS_MIN_STEPS) == default_processes(64)


def test_short_runs_stay_in_this_process():
    # they share one compiled update here (dqrec.shared_update), cheaper than starting workers
    assert default_processes(64, PROCESS_MIN_STEPS - 1) == 1


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: train_many([small_config(), "config"]), "needs TrainConfigs, got str at 1"),
        (lambda: train_seeds({"seed": 0}, [0]), "needs a TrainConfig, got dict"),
        (lambda: train_many([small_config()], processes=0), "processes must be an int >= 1, got 0"),
        (
            lambda: train_many([small_config(checkpoint_dir="x", seed=s) for s in (0, 1)]),
            "runs share a checkpoint_dir",
        ),
    ],
)
def test_bad_arguments_are_one_clear_error(call, match):
    with pytest.raises(ConfigError, match=match):
        call()
