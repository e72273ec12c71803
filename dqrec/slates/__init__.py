"""Recommending a page, not an item: the shop in slate mode and SlateQ (Ie et al. 2019).

* ``dqrec.slates.config``: ``SlateConfig`` (the shop plus slate size, no-click weight,
  fatigue of shown-but-not-chosen items).
* ``dqrec.slates.choice``: the conditional-logit choice and SlateQ's decomposition (NumPy).
* ``dqrec.slates.vector``: ``VecSlateEnv``, many shoppers at once (every equation in its
  docstring); ``dqrec.slates.scalar``: ``SlateShopEnv``, the one-shopper ``gymnasium.Env``
  reference (``MultiDiscrete`` actions), registered as ``"dqrec/SlateShop-v0"``.
* ``dqrec.slates.optimise``: choosing the best slate under the decomposition: exhaustive
  enumeration, the exact fractional programme, top-k and greedy.
* ``dqrec.slates.baselines``: random slate, most popular k, myopic slate (oracle), item-DQN top-k.
* ``dqrec.slates.slateq``: the SlateQ agent (item-level Q-learning, learned choice model);
  ``dqrec.slates.train``: its training loop and the slate rollout.

``import dqrec.slates`` is light (NumPy and Gymnasium); the agent modules import TensorFlow.
"""

import sys

from dqrec.slates.choice import choice_probabilities, duplicate_mask, slate_value
from dqrec.slates.config import SlateConfig

SLATE_SHOP_ID = "dqrec/SlateShop-v0"

__all__ = [
    "SLATE_SHOP_ID",
    "SlateConfig",
    "choice_probabilities",
    "duplicate_mask",
    "register_slate_shop",
    "slate_value",
]


def register_slate_shop() -> None:
    """Register ``SlateShopEnv`` with Gymnasium as ``"dqrec/SlateShop-v0"`` (once)."""
    import gymnasium

    if SLATE_SHOP_ID not in gymnasium.registry:
        gymnasium.register(id=SLATE_SHOP_ID, entry_point="dqrec.slates.scalar:SlateShopEnv")


if "gymnasium" in sys.modules:  # Gymnasium is loaded: registering costs nothing more
    register_slate_shop()
