"""Train several seeds (or configurations) at once: one worker process per CPU core.

    from dqrec.many_seeds import train_seeds
    histories = train_seeds(TrainConfig(), seeds=range(8))   # histories[i]: seed i

A run of the default agent keeps about one core busy (small matrix products, NumPy simulator,
Python loop), so N independent runs finish sooner side by side than one after another.
``train_many`` hands the runs to a pool of fresh (spawned) Python processes, each with
TensorFlow's thread pools sized to its share of the cores, and returns their ``History``
objects in the order of the configs, each with its trained ``DQNAgent`` rebuilt in the
calling process from the worker's weights and optimizer state.

Run ``i`` gives the same numbers as ``dqrec.train.train(configs[i])`` in this process: every
random number of a run comes from its own config's seed, nothing is shared between the
workers, and the small matrix products of these networks do not split their sums across
threads, so the smaller thread pools change no rounding. ``tests/test_many_seeds.py`` checks
exact equality of losses, evaluations, episode returns and weights on a small config (without
XLA, to keep the test short). With one process (or one config) the runs go one after another
here, without a pool.
"""

import multiprocessing
import os

from dqrec.config import ConfigError, TrainConfig

__all__ = ["default_processes", "train_many", "train_seeds"]


def default_processes(num_runs: int) -> int:
    """Worker processes for ``num_runs`` runs: one per core, never more than the runs."""
    return max(1, min(int(num_runs), os.cpu_count() or 1))


def train_seeds(config: TrainConfig, seeds, processes=None, catalogue=None) -> list:
    """``train_many`` of ``config`` with each of ``seeds`` (ints) in turn as its seed."""
    if not isinstance(config, TrainConfig):
        raise ConfigError(f"train_seeds() needs a TrainConfig, got {type(config).__name__}")
    return train_many([config.replace(seed=seed) for seed in seeds], processes, catalogue)


def train_many(configs, processes=None, catalogue=None) -> list:
    """Train every ``TrainConfig`` of ``configs``; their ``History`` objects, in order.

    ``processes`` (default ``default_processes(len(configs))``) worker processes run the
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
        processes = default_processes(len(configs))
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
