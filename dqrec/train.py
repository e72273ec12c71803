"""The training loop: collect, store, learn, sync, evaluate, checkpoint.

One iteration steps ``num_envs`` environments at once:

    1. epsilon = schedule(env_steps); actions = epsilon_greedy(Q(obs), epsilon)  (a coin each)
    2. next_obs, r, terminated, truncated = env.step(actions)   (same-step autoreset)
    3. the n-step window turns the step into n-step transitions (``dqrec.nstep``), which
       go into the replay buffer (the true last observation of a finished session, not
       the autoreset one, is what they bootstrap from)
    4. every ``train_every`` steps: ``gradient_steps`` updates on replayed mini-batches,
       each followed by the target-network update (inside ``DQNAgent``)
    5. every ``eval_every`` steps: greedy evaluation on the fixed evaluation shoppers
    6. every ``checkpoint_every`` steps: an atomic checkpoint of *everything* that shapes the
       future (weights, optimizer, replay, simulator state, random generator, counters), so
       a resumed run continues exactly as the uninterrupted one would have.
"""

import dataclasses
import json
import time
from dataclasses import dataclass, field

import gymnasium
import keras
import numpy as np

from dqrec.acting import NumpyQ
from dqrec.agent import DQNAgent
from dqrec.config import ConfigError, TrainConfig, to_dict
from dqrec.envs import VecShopEnv
from dqrec.envs.gym import GymVecEnv
from dqrec.evaluate import evaluate_gym_policy, evaluate_policy
from dqrec.exploration import LinearSchedule, epsilon_greedy
from dqrec.memory import check_fits, train_bytes
from dqrec.nstep import NStepWindow
from dqrec.outputs import RunLock, check_output_dir, remove_stale_temp_files
from dqrec.replay import ReplayBuffer
from dqrec.resume import (  # noqa: F401  (ResumeWarning, CheckpointConfigError: public here too)
    CheckpointConfigError,
    ResumeWarning,
    restore_newest,
    save_training_state,
)


@dataclass
class History:
    """What happened during training (JSON-ready lists), plus the trained agent."""

    eval_steps: list = field(default_factory=list)  # env steps at each evaluation
    eval_returns: list = field(default_factory=list)  # mean return of the greedy policy
    eval_ci: list = field(default_factory=list)  # 95% CI half-width of that mean
    train_steps: list = field(default_factory=list)  # env steps at each logged update
    losses: list = field(default_factory=list)  # mean Huber loss of that update
    mean_q: list = field(default_factory=list)  # mean Q of the taken actions
    episode_returns: list = field(default_factory=list)  # returns of finished training sessions
    wall_time: float = 0.0  # seconds spent training (summed over resumed pieces)
    final_eval: dict = field(default_factory=dict)  # EvalResult of the last evaluation
    agent: object = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "agent"
        }


def make_agent(config: TrainConfig, obs_dim, num_actions) -> DQNAgent:
    """The DQN agent for a run (weights initialised from ``config.seed``)."""
    keras.utils.set_random_seed(config.seed)
    shop = config.shop
    metadata = {"train_config": json.loads(json.dumps(to_dict(config)))}
    if config.env_id is None:
        return DQNAgent(
            obs_dim,
            num_actions,
            config.agent,
            config.network,
            history_len=shop.history_len,
            num_items=shop.num_items,
            metadata=metadata,
        )
    return DQNAgent(obs_dim, num_actions, config.agent, config.network, metadata=metadata)


def _make_env(config: TrainConfig, catalogue=None):
    if config.env_id is None:
        return VecShopEnv(config.shop, config.num_envs, config.seed, catalogue=catalogue)
    try:
        return GymVecEnv(config.env_id, config.num_envs, config.seed)
    except gymnasium.error.Error as exc:
        raise ConfigError(f"TrainConfig.env_id {config.env_id!r} cannot be made: {exc}") from None


def _evaluate_greedy(agent, config, catalogue=None):
    if config.env_id is None:
        shop, n, seed = config.shop, config.num_eval_shoppers, config.eval_seed
        return evaluate_policy(agent, shop, n, seed, catalogue)
    return evaluate_gym_policy(agent, config.env_id, config.num_eval_shoppers, config.eval_seed)


def train(config: TrainConfig, resume: bool = True, callback=None, catalogue=None) -> History:
    """Train a DQN agent as ``config`` says and return its ``History`` (with ``.agent``).

    With ``config.checkpoint_dir`` set and ``resume`` true, training continues from the
    newest checkpoint there, if any, and gives the same numbers as an uninterrupted run.
    ``callback(env_steps, history)``, if given, is called after every iteration; it may read
    the agent but not change its weights (the loop acts with its own copy of them, refreshed
    after every update: ``dqrec.acting``).
    ``catalogue`` replaces the shop's generated catalogue (e.g. one calibrated from data,
    ``dqrec.calibrate``) for training and evaluation.

    Before anything is built: a run whose arrays cannot fit in memory is refused
    (``ConfigError`` with the estimate), and ``checkpoint_dir`` must be a writable folder.
    While the run lasts it holds the folder's lock (``dqrec.outputs.RunLock``; a second run
    there gets ``RunLockedError``), and it first removes temp files a killed run left. A
    newest checkpoint that does not load is skipped, with a ``ResumeWarning`` naming it and
    the reason, for the newest one that does.
    """
    if not isinstance(config, TrainConfig):
        raise ConfigError(f"train() needs a TrainConfig, got {type(config).__name__}")
    check_fits(
        train_bytes(config),
        f"TrainConfig(replay_capacity={config.replay_capacity}, "
        f"num_eval_shoppers={config.num_eval_shoppers}, num_envs={config.num_envs})",
    )
    if config.checkpoint_dir is None:
        return _train(config, resume, callback, catalogue)
    check_output_dir(config.checkpoint_dir, "TrainConfig.checkpoint_dir")
    # one run at a time writes a checkpoint folder; a killed run's temp files go
    with RunLock(config.checkpoint_dir):
        remove_stale_temp_files(config.checkpoint_dir)
        return _train(config, resume, callback, catalogue)


def _train(config, resume, callback, catalogue):
    env = _make_env(config, catalogue)
    obs_dim = int(np.prod(env.single_observation_space.shape))
    num_actions = int(env.single_action_space.n)
    agent = make_agent(config, obs_dim, num_actions)
    replay = ReplayBuffer(config.replay_capacity, obs_dim)
    window = NStepWindow(config.agent.n_steps, config.agent.gamma, config.num_envs, obs_dim)
    rng = np.random.default_rng(config.seed)  # exploration coins and replay sampling
    schedule = LinearSchedule(config.epsilon_start, config.epsilon_end, config.epsilon_decay_steps)
    history = History(agent=agent)
    obs, _ = env.reset(seed=config.seed)
    env_steps = 0
    episode_returns = np.zeros(config.num_envs)

    if resume and config.checkpoint_dir:
        restored = restore_newest(config, agent, replay, window, rng, env, history)
        if restored is not None:
            env_steps, obs, episode_returns = restored

    # Acting reads Q(obs) every iteration: in NumPy, on a copy of the online weights that is
    # refreshed after every update (dqrec.acting); with the network itself for a GRU encoder
    actor = NumpyQ.mirror(agent.online)
    q_values = agent.q_values if actor is None else actor
    writer = _summary_writer(config.tensorboard_dir)
    progress = _progress_bar(config, env_steps)
    started = time.perf_counter()
    wall_before = history.wall_time
    n = config.num_envs
    while env_steps < config.total_steps:
        epsilon = schedule(env_steps)
        actions = epsilon_greedy(q_values(obs), epsilon, rng)  # (num_envs,)
        next_obs, rewards, terminated, truncated, info = env.step(actions)
        # the true last observation of a finished session, not the autoreset one
        ready = window.push(obs, actions, rewards, info["final_obs"], terminated, truncated)
        if ready is not None:
            replay.add(*ready)
        episode_returns += rewards
        done = terminated | truncated
        history.episode_returns.extend(float(g) for g in episode_returns[done])
        episode_returns[done] = 0.0
        obs = next_obs
        before, env_steps = env_steps, env_steps + n

        if env_steps >= config.learning_starts and config.gradient_steps > 0:
            num_updates = env_steps // config.train_every - before // config.train_every
            for _ in range(num_updates):
                batch = replay.sample_many(config.gradient_steps, config.agent.batch_size, rng)
                stats = agent.train_steps(batch)
                if actor is not None:
                    actor.set_weights(agent.latest_weights)
                history.train_steps.append(env_steps)
                history.losses.append(stats["loss"])
                history.mean_q.append(stats["mean_q"])
        if config.eval_every and env_steps // config.eval_every > before // config.eval_every:
            _record_eval(
                history, env_steps, _evaluate_greedy(agent, config, catalogue), writer, epsilon
            )
        if config.checkpoint_dir and (
            env_steps // config.checkpoint_every > before // config.checkpoint_every
        ):
            history.wall_time = wall_before + time.perf_counter() - started
            save_training_state(
                config, env_steps, obs, episode_returns, agent, replay, window, rng, env, history
            )
        progress.update(n)
        if callback is not None:
            callback(env_steps, history)
    progress.close()
    if not history.eval_steps or history.eval_steps[-1] != env_steps:
        result = _evaluate_greedy(agent, config, catalogue)
        _record_eval(history, env_steps, result, writer, schedule(env_steps))
    history.wall_time = wall_before + time.perf_counter() - started
    return history


def _record_eval(history, env_steps, result, writer, epsilon):
    history.eval_steps.append(env_steps)
    history.eval_returns.append(result.mean_return)
    history.eval_ci.append(result.return_ci)
    history.final_eval = result.to_dict()
    if writer is not None:
        import tensorflow as tf

        with writer.as_default(step=env_steps):
            tf.summary.scalar("eval/mean_return", result.mean_return)
            tf.summary.scalar("train/epsilon", epsilon)
            if history.losses:
                tf.summary.scalar("train/loss", history.losses[-1])
                tf.summary.scalar("train/mean_q", history.mean_q[-1])
        writer.flush()


def _summary_writer(directory):
    if directory is None:
        return None
    import tensorflow as tf

    return tf.summary.create_file_writer(directory)


class _NoProgress:
    """Stands in for a progress bar when none is wanted (and keeps tqdm unimported)."""

    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(config, initial):
    if not config.progress:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(
        total=config.total_steps,
        initial=min(initial, config.total_steps),
        disable=not config.progress,
        unit="step",
        desc="training",
    )
