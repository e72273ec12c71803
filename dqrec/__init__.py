"""dqrec: deep Q-learning for e-commerce recommendation.

``import dqrec`` is cheap: it imports neither TensorFlow nor Gymnasium. The names below are
loaded on first use (``dqrec.ShopEnv`` imports the simulator then), and each submodule
(``dqrec.agent``, ``dqrec.train``, ...) loads what it needs when it is imported itself.

The shop simulator is registered with Gymnasium as ``"dqrec/Shop-v0"`` as soon as its classes
are imported (``from dqrec.envs import ShopEnv``, or ``VecShopEnv``). ``import dqrec`` and
``import dqrec.envs`` do it too when Gymnasium is already imported, so
``import gymnasium; import dqrec; gymnasium.make("dqrec/Shop-v0")`` works; otherwise name the
module in the id: ``gymnasium.make("dqrec.envs:dqrec/Shop-v0")``, or call
``dqrec.envs.register_shop()``.
"""

import importlib
import sys

__version__ = "0.1.0"

_LAZY = {  # public name -> module that defines (or re-exports) it
    "ConfigError": "dqrec.config",
    "ShopConfig": "dqrec.config",
    "ShopEnv": "dqrec.envs",
    "VecShopEnv": "dqrec.envs",
}
__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'dqrec' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


if "gymnasium" in sys.modules:  # Gymnasium is loaded: registering the shop costs nothing more
    from dqrec.envs import register_shop

    register_shop()
