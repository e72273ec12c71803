"""Every configuration validation error names the field, the value and the allowed range."""

import pytest

from dqrec.config import (
    AgentConfig,
    ConfigError,
    NetworkConfig,
    ShopConfig,
    TrainConfig,
    from_dict,
    to_dict,
)

BAD = [
    (NetworkConfig, "encoder", "lstm"),
    (NetworkConfig, "embedding_dim", 0),
    (NetworkConfig, "hidden_units", (64, 0)),
    (NetworkConfig, "hidden_units", "128"),
    (NetworkConfig, "dueling", "yes"),
    (AgentConfig, "gamma", 1.5),
    (AgentConfig, "gamma", -0.1),
    (AgentConfig, "gamma", float("nan")),
    (AgentConfig, "lr", 0.0),
    (AgentConfig, "batch_size", 0),
    (AgentConfig, "batch_size", 32.0),
    (AgentConfig, "double_dqn", 1),
    (AgentConfig, "target_update", "soft"),
    (AgentConfig, "target_period", 0),
    (AgentConfig, "tau", 0.0),
    (AgentConfig, "huber_delta", -1.0),
    (AgentConfig, "grad_clip_norm", 0.0),
    (AgentConfig, "n_steps", 0),
    (AgentConfig, "jit_compile", "yes"),
    (TrainConfig, "seed", -1),
    (TrainConfig, "num_envs", 0),
    (TrainConfig, "total_steps", 0),
    (TrainConfig, "learning_starts", -5),
    (TrainConfig, "train_every", 0),
    (TrainConfig, "gradient_steps", -1),
    (TrainConfig, "replay_capacity", 0),
    (TrainConfig, "epsilon_start", 2.0),
    (TrainConfig, "epsilon_end", -0.5),
    (TrainConfig, "epsilon_decay_steps", -1),
    (TrainConfig, "eval_every", -1),
    (TrainConfig, "num_eval_shoppers", 0),
    (TrainConfig, "eval_seed", -3),
    (TrainConfig, "checkpoint_every", 0),
    (TrainConfig, "keep_checkpoints", 0),
    (TrainConfig, "progress", "no"),
    (TrainConfig, "checkpoint_dir", ""),
    (TrainConfig, "tensorboard_dir", 3),
    (TrainConfig, "env_id", ""),
    (TrainConfig, "shop", {"num_items": 5}),
    (TrainConfig, "agent", None),
    (TrainConfig, "network", "pooled"),
]


@pytest.mark.parametrize(
    ("cls", "name", "value"), BAD, ids=[f"{c.__name__}.{n}={v!r}" for c, n, v in BAD]
)
def test_each_bad_value_is_rejected_with_a_clear_message(cls, name, value):
    with pytest.raises(ConfigError) as info:
        cls(**{name: value})
    message = str(info.value)
    assert f"{cls.__name__}.{name}" in message
    assert repr(value) in message or str(value) in message


def test_learning_starts_must_fit_in_the_buffer():
    with pytest.raises(ConfigError, match="learning_starts"):
        TrainConfig(learning_starts=100, replay_capacity=50)


def test_configs_are_frozen_and_round_trip():
    config = TrainConfig(seed=3, network=NetworkConfig(hidden_units=[64, 32]))
    assert config.network.hidden_units == (64, 32)
    with pytest.raises(AttributeError):
        config.seed = 4
    assert from_dict(to_dict(config)) == config
    with pytest.raises(ConfigError, match="num_envs"):
        config.replace(num_envs=-1)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_infinity_are_rejected_by_every_config(value):
    for cls, name in (
        (AgentConfig, "gamma"),
        (TrainConfig, "epsilon_end"),
        (ShopConfig, "price_min"),
    ):
        with pytest.raises(ConfigError, match=rf"{cls.__name__}\.{name} must be a finite number"):
            cls(**{name: value})


def test_cross_field_rules_live_in_the_config():
    with pytest.raises(ConfigError, match="network.encoder must be 'mlp'"):
        TrainConfig(env_id="CartPole-v1")
    mlp = NetworkConfig(encoder="mlp")
    # checkpoints work for every environment (dqrec.envs.gym.GymVecEnv replays its actions)
    assert TrainConfig(env_id="CartPole-v1", network=mlp, checkpoint_dir="ckpt").env_id
    assert TrainConfig(env_id="CartPole-v1", network=mlp).shop == ShopConfig()


def test_train_config_shop_is_typed_shop_config():
    import dataclasses

    assert {f.name: f.type for f in dataclasses.fields(TrainConfig)}["shop"] is ShopConfig
