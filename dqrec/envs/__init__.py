"""The shop simulator: shoppers in an online shop, one recommendation per step.

One module per job:

* ``dqrec.envs.codec``: the observation (feedback codes, session features, encoding a
  real shopper's history); NumPy only.
* ``dqrec.envs.catalogue``: the simulated catalogue's item attributes.
* ``dqrec.envs.vector``: ``VecShopEnv``, many shoppers stepped at once (the user model is in its
  docstring); what training and evaluation use.
* ``dqrec.envs.scalar``: ``ShopEnv``, one shopper in plain Python, the ``gymnasium.Env``
  registered as ``"dqrec/Shop-v0"`` and the reference the vector env is tested against.

``import dqrec.envs`` is light (the codec only); ``VecShopEnv``, ``ShopEnv`` and
``Catalogue`` load on first use. The simulator is registered with Gymnasium as soon as either
env class is imported, and by ``import dqrec.envs`` when Gymnasium is already loaded, so
``gymnasium.make("dqrec.envs:dqrec/Shop-v0")`` always works.
"""

import importlib
import sys

from dqrec.envs.codec import (
    CLICK,
    FEEDBACK_WORDS,
    NUM_FEEDBACK_CODES,
    NUM_SESSION_FEATURES,
    PAD_FEEDBACK,
    PURCHASE,
    SKIP,
    observation_bounds,
    observation_from_history,
    session_features,
    split_observation,
)

SHOP_ID = "dqrec/Shop-v0"

_LAZY = {  # public name -> module that defines it
    "Catalogue": "dqrec.envs.catalogue",
    "ShopConfig": "dqrec.config",  # re-exported: the simulator's configuration
    "VecShopEnv": "dqrec.envs.vector",
    "ShopEnv": "dqrec.envs.scalar",
}

__all__ = [
    "CLICK",
    "FEEDBACK_WORDS",
    "NUM_FEEDBACK_CODES",
    "NUM_SESSION_FEATURES",
    "PAD_FEEDBACK",
    "PURCHASE",
    "SHOP_ID",
    "SKIP",
    "Catalogue",
    "ShopConfig",
    "ShopEnv",
    "VecShopEnv",
    "observation_bounds",
    "observation_from_history",
    "register_shop",
    "session_features",
    "split_observation",
]


def register_shop() -> None:
    """Register ``ShopEnv`` with Gymnasium as ``"dqrec/Shop-v0"`` (once; imports Gymnasium)."""
    import gymnasium

    if SHOP_ID not in gymnasium.registry:
        gymnasium.register(id=SHOP_ID, entry_point="dqrec.envs.scalar:ShopEnv")


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'dqrec.envs' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


if "gymnasium" in sys.modules:  # Gymnasium is loaded: registering costs nothing more
    register_shop()
