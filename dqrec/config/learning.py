"""Configuration of learning: the Q-network, the DQN agent and a training run.

Every field has a one-line comment with its meaning and units; each ``__post_init__`` checks
every field, and the rules that tie fields together, with the helpers of
``dqrec.config.checks``, so a typo fails at once with a clear message instead of deep inside a
run.
"""

import dataclasses
import os
from dataclasses import dataclass, field

from dqrec.config.checks import (
    ConfigError,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_optional_text,
    check_type,
    fail,
)
from dqrec.config.shop import ShopConfig
from dqrec.seeds import EVAL_SEED


@dataclass(frozen=True)
class NetworkConfig:
    """Architecture of the Q-network (see ``dqrec.networks``)."""

    encoder: str = "pooled"  # history encoder: "pooled", "gru", or "mlp" (raw observation)
    embedding_dim: int = 16  # width of the item embeddings and feedback gates
    hidden_units: tuple[int, ...] = (64,)  # widths of the ReLU layers after the encoder
    dueling: bool = True  # use the dueling head V(s) + A(s, a) - mean A
    head: str = "item"  # "item": Q(s, a) = query(s) . item embedding; "dense": one row per action

    def __post_init__(self):
        check_choice(self, "encoder", ("pooled", "gru", "mlp"))
        check_int(self, "embedding_dim", 1, 4096)
        units = self.hidden_units
        if not isinstance(units, tuple | list) or not all(
            isinstance(u, int) and not isinstance(u, bool) and 1 <= u <= 65536 for u in units
        ):
            fail(self, "hidden_units", "a tuple of ints in [1, 65536]")
        object.__setattr__(self, "hidden_units", tuple(units))
        check_bool(self, "dueling")
        check_choice(self, "head", ("item", "dense"))


@dataclass(frozen=True)
class AgentConfig:
    """How the DQN agent learns (see ``dqrec.agent``)."""

    gamma: float = 0.9  # discount factor; 0 gives the myopic baseline
    lr: float = 1e-3  # Adam learning rate
    batch_size: int = 256  # transitions per gradient step
    n_steps: int = 1  # rewards summed before bootstrapping (1: the classic one-step target)
    double_dqn: bool = True  # online network picks a*, target network values it
    target_update: str = "hard"  # "hard": copy every target_period steps; "polyak": soft
    target_period: int = 250  # gradient steps between hard copies of the online network
    tau: float = 0.01  # Polyak rate: target <- tau * online + (1 - tau) * target, per step
    huber_delta: float = 1.0  # Huber loss is quadratic for |TD error| <= delta, linear beyond
    grad_clip_norm: float = 10.0  # clip the global gradient norm to this value
    jit_compile: bool = True  # compile train steps with XLA: faster steps, seconds to compile

    def __post_init__(self):
        check_float(self, "gamma", 0.0, 1.0)
        check_float(self, "lr", 0.0, 1.0, low_open=True)
        check_int(self, "batch_size", 1, 1_000_000)
        check_int(self, "n_steps", 1, 1000)
        check_bool(self, "double_dqn")
        check_choice(self, "target_update", ("hard", "polyak"))
        check_int(self, "target_period", 1)
        check_float(self, "tau", 0.0, 1.0, low_open=True)
        check_float(self, "huber_delta", 0.0, 1e9, low_open=True)
        check_float(self, "grad_clip_norm", 0.0, 1e9, low_open=True)
        check_bool(self, "jit_compile")


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Step counts are environment steps (one shopper, one recommendation)."""

    shop: ShopConfig = field(default_factory=ShopConfig)  # the simulator (unused with env_id)
    network: NetworkConfig = field(default_factory=NetworkConfig)  # Q-network architecture
    agent: AgentConfig = field(default_factory=AgentConfig)  # learning hyperparameters
    env_id: str | None = None  # a Gymnasium id to train on instead of the shop (e.g. "CartPole-v1")
    seed: int = 0  # seeds the network, exploration, replay sampling and the training shoppers
    num_envs: int = 32  # shoppers stepped in parallel
    total_steps: int = 100_000  # environment steps of training
    learning_starts: int = 2_000  # environment steps collected before the first update
    train_every: int = 64  # environment steps between gradient updates
    gradient_steps: int = 4  # gradient steps per update (replay ratio = this * batch / train_every)
    replay_capacity: int = 100_000  # transitions kept in the replay buffer
    epsilon_start: float = 1.0  # exploration at the start
    epsilon_end: float = 0.05  # exploration after the decay
    epsilon_decay_steps: int = 50_000  # environment steps of linear decay
    eval_every: int = 25_000  # environment steps between evaluations (0: only at the end)
    num_eval_shoppers: int = 500  # fixed evaluation shoppers (episodes for Gymnasium envs)
    eval_seed: int = EVAL_SEED  # seed of the evaluation shoppers, disjoint from training
    checkpoint_dir: str | None = None  # where checkpoints go; None: no checkpoints
    checkpoint_every: int = 25_000  # environment steps between checkpoints
    keep_checkpoints: int = 2  # newest checkpoints kept on disk
    tensorboard_dir: str | None = None  # write TensorBoard summaries here when set
    progress: bool = False  # show a progress bar

    def __post_init__(self):
        for name in ("checkpoint_dir", "tensorboard_dir"):  # a pathlib.Path is a path too
            if isinstance(getattr(self, name), os.PathLike):
                object.__setattr__(self, name, os.fspath(getattr(self, name)))
        check_type(self, "shop", ShopConfig)
        check_type(self, "network", NetworkConfig)
        check_type(self, "agent", AgentConfig)
        check_optional_text(self, "env_id")
        check_int(self, "seed", 0, 2**31 - 1)
        check_int(self, "num_envs", 1, 65_536)
        check_int(self, "total_steps", 1)
        check_int(self, "learning_starts", 0)
        check_int(self, "train_every", 1)
        check_int(self, "gradient_steps", 0)
        check_int(self, "replay_capacity", 1)
        check_float(self, "epsilon_start", 0.0, 1.0)
        check_float(self, "epsilon_end", 0.0, 1.0)
        check_int(self, "epsilon_decay_steps", 0)
        check_int(self, "eval_every", 0)
        check_int(self, "num_eval_shoppers", 1)
        check_int(self, "eval_seed", 0, 2**31 - 1)
        check_optional_text(self, "checkpoint_dir", "a path")
        check_int(self, "checkpoint_every", 1)
        check_int(self, "keep_checkpoints", 1)
        check_optional_text(self, "tensorboard_dir", "a path")
        check_bool(self, "progress")
        # rules that tie fields together
        if self.learning_starts > self.replay_capacity:
            raise ConfigError(
                f"TrainConfig.learning_starts ({self.learning_starts}) must be <= "
                f"replay_capacity ({self.replay_capacity})"
            )
        if self.env_id is not None and self.network.encoder != "mlp":
            raise ConfigError(
                f"TrainConfig.network.encoder must be 'mlp' for a Gymnasium env_id "
                f"({self.env_id!r}), got {self.network.encoder!r}"
            )

    def replace(self, **changes):
        """A copy with some fields changed (and validated again)."""
        return dataclasses.replace(self, **changes)


def to_dict(config) -> dict:
    """A JSON-ready dict of a (nested) config dataclass."""
    return dataclasses.asdict(config)


def from_dict(data: dict) -> "TrainConfig":
    """Rebuild a ``TrainConfig`` from ``to_dict`` output (tuples restored, types validated).

    The sections ``shop``, ``network`` and ``agent`` must be there (``to_dict`` writes
    them; a record without them is not a config, and defaults would silently describe another
    run); a field missing inside a section takes its default. Anything else that is not a
    dict of known fields is a ``ConfigError`` naming it.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"from_dict needs a dict (from to_dict), got {type(data).__name__}")
    data = dict(data)
    parts = {}
    for name, cls in (("shop", ShopConfig), ("network", NetworkConfig), ("agent", AgentConfig)):
        if name not in data:
            raise ConfigError(
                f"from_dict: the record has no {name!r} section (expected the output of "
                f"to_dict, with keys shop, network, agent); got keys {sorted(data, key=str)}"
            )
        section = data.pop(name)
        if not isinstance(section, dict):
            raise ConfigError(
                f"from_dict: {name!r} must be a dict of {cls.__name__} fields, "
                f"got {type(section).__name__}"
            )
        section = dict(section)
        if name == "network" and isinstance(section.get("hidden_units"), list):
            section["hidden_units"] = tuple(section["hidden_units"])
        parts[name] = _build(cls, section, f"{name}.")
    return _build(TrainConfig, {**data, **parts}, "")


def _build(cls, fields, prefix):
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(fields) - known, key=str)
    if unknown:
        raise ConfigError(
            f"from_dict: unknown {cls.__name__} field {prefix}{unknown[0]!s}; "
            f"expected some of {sorted(known)}"
        )
    return cls(**fields)
