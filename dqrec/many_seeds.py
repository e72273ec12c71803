"""Train several seeds (or configurations) at once: in this process, or one worker per core.

    from dqrec.many_seeds import train_seeds
    histories = train_seeds(TrainConfig(), seeds=range(8))   # histories[i]: seed i

Two ways make N runs cheaper than N separate ones:

* **In one process**, every agent of the same configs runs one compiled update
  (``dqrec.shared_update``): only the first run traces and compiles it (about 4 s), so the
  later ones cost only their training. For short runs this is the fast way.
* **One worker process per core**: a run of the default agent leaves the second core idle for
  much of its time (its simulator and Python loop run on one), so long runs finish sooner side
  by side. ``train_many`` then hands the runs to a pool
  of fresh (spawned) Python processes, each with TensorFlow's thread pools sized to its share
  of the cores; each worker starts TensorFlow and compiles once, which only pays off for long
  runs.

``default_processes`` chooses: measured on two cores (``benchmarks/bench_speed.py``, seeds per
minute, and the note of issue 11), four runs of 6,000 steps went 2.3 times faster in one process
than in two workers, and four runs of 50,000 steps took the same time either way, so runs of
fewer than ``PROCESS_MIN_STEPS`` steps stay in this process. Either way the histories come back
in the order of the configs, each with its trained ``DQNAgent`` (rebuilt in this process from a
worker's weights and optimizer state).

Run ``i`` gives the same numbers as ``dqrec.train.train(configs[i])`` alone: every random number
of a run comes from its own config's seed, nothing is shared between the workers, a shared
compiled update is the same program as a fresh one, and the small matrix products of these
networks do not split their sums across threads, so the smaller thread pools change no
rounding. ``tests/test_many_seeds.py`` checks exact equality of losses, evaluations, episode
returns and weights on a small config (without XLA, to keep the test short).
"""

import multiprocessing
import os

from dqrec.config import ConfigError, TrainConfig

__all__ = ["default_processes", "train_many", "train_seeds"]


PROCESS_MIN_STEPS = 50_000  # shorter runs go faster one after another in one process


def default_processes(num_runs: int, steps_per_run=None) -> int:
    """Worker processes for ``num_runs`` runs of ``steps_per_run`` environment steps (on
    average): one per core, never more than the runs, and none (1: this process) for runs
    shorter than ``PROCESS_MIN_STEPS``."""
    if steps_per_run is not None and steps_per_run < PROCESS_MIN_STEPS:
        return 1
    return max(1, min(int(num_runs), os.cpu_count() or 1))


def train_seeds(config: TrainConfig, seeds, processes=None, catalogue=None) -> list:
    """``train_many`` of ``config`` with each of ``seeds`` (ints) in turn as its seed."""
    if not isinstance(config, TrainConfig):
        raise ConfigError(f"train_seeds() needs a TrainConfig, got {type(config).__name__}")
    return train_many([config.replace(seed=seed) for seed in seeds], processes, catalogue)


def train_many(configs, processes=None, catalogue=None) -> list:
    """Train every ``TrainConfig`` of ``configs``; their ``History`` objects, in order.

    ``processes`` (default ``default_processes(len(configs), mean total_steps)``) run the
    configs, each worker one run at a time; ``catalogue`` is passed to every run (see
    ``dqrec.train.train``). Runs that checkpoint need distinct ``checkpoint_dir`` folders.
    """
    configs = list(configs)
    for i, config in enumerate(configs):
        if not isinstance(config, TrainConfig):
            raise ConfigError(
                f"train_many() needs TrainConfigs, got {type(config).__name__} at {i}"
            )
    folders = [c.checkpoint_dir for c in configs if c.checkpoint_dir is not None]
    if len(set(folders)) != len(folders):
        raise ConfigError(f"train_many(): runs share a checkpoint_dir, got {sorted(folders)}")
    if processes is None:
        steps = sum(c.total_steps for c in configs) / max(1, len(configs))
        processes = default_processes(len(configs), steps)
    if not (isinstance(processes, int) and not isinstance(processes, bool) and processes >= 1):
        raise ConfigError(f"train_many() processes must be an int >= 1, got {processes!r}")
    if not configs:
        return []
    if processes == 1 or len(configs) == 1:
        from dqrec.train import train

        return [train(config, catalogue=catalogue) for config in configs]
    threads = max(1, (os.cpu_count() or 1) // min(processes, len(configs)))
    context = multiprocessing.get_context("spawn")  # TensorFlow must not be forked
    with context.Pool(min(processes, len(configs)), _init_worker, (threads,)) as pool:
        results = pool.starmap(_run, [(config, catalogue) for config in configs], chunksize=1)
    return [_rebuild(config, *result) for config, result in zip(configs, results, strict=True)]


def _init_worker(threads):
    # before TensorFlow starts its runtime: size its pools to this worker's share of the cores
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def _run(config, catalogue):
    """In a worker: train, and return what pickles (the history and the agent's state)."""
    from dqrec.train import train

    history = train(config, catalogue=catalogue)
    agent = history.agent
    shape = (agent.online.obs_dim, agent.num_actions)
    return history.to_dict(), agent.get_state(), shape


def _rebuild(config, history_dict, agent_state, shape):
    """The ``History`` of a worker's run, with its agent rebuilt here from the saved state."""
    from dqrec.train import History, make_agent

    agent = make_agent(config, *shape)
    agent.set_state(agent_state)
    return History(**history_dict, agent=agent)
