"""dqrec: deep Q-learning for e-commerce recommendation.

Importing the package registers the shop simulator with Gymnasium as ``"dqrec/Shop-v0"``.
It does not import TensorFlow: the learning modules (``dqrec.agent``, ``dqrec.train``, ...)
load it when they are imported themselves.
"""

from dqrec.config import ConfigError
from dqrec.env import ShopConfig, ShopEnv, VecShopEnv

__all__ = ["ConfigError", "ShopConfig", "ShopEnv", "VecShopEnv"]
__version__ = "0.1.0"
