"""All configuration of dqrec: frozen, validated dataclasses, in one place.

* ``ShopConfig`` (``dqrec.config.shop``): the simulator's catalogue, shoppers and reward;
* ``NetworkConfig``, ``AgentConfig``, ``TrainConfig`` (``dqrec.config.learning``): the
  Q-network, the DQN agent and a training run, with ``to_dict`` / ``from_dict`` for JSON;
* ``ConfigError`` and the ``check_*`` helpers (``dqrec.config.checks``): the one validation
  style, whose errors name the field, the value and the allowed range.

Importing this package imports neither TensorFlow nor Gymnasium.
"""

from dqrec.config.checks import (
    ConfigError,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_optional_text,
    check_type,
)
from dqrec.config.learning import AgentConfig, NetworkConfig, TrainConfig, from_dict, to_dict
from dqrec.config.shop import ShopConfig

__all__ = [
    "AgentConfig",
    "ConfigError",
    "NetworkConfig",
    "ShopConfig",
    "TrainConfig",
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "check_optional_text",
    "check_type",
    "from_dict",
    "to_dict",
]
