"""Configuration of the slate shop: the shop's ``ShopConfig`` plus three slate knobs.

``SlateConfig(shop, slate_size, no_click_weight, shown_fatigue)`` is frozen and validated like
every dqrec config: a bad value raises ``ConfigError`` naming the field, the value and the
allowed range. The meaning of each knob is in ``dqrec.slates.vector``'s docstring.
"""

import dataclasses
from dataclasses import dataclass, field

from dqrec.config.checks import check_float, check_int, check_type
from dqrec.config.shop import BIG, ShopConfig


@dataclass(frozen=True)
class SlateConfig:
    """The slate shop: a ``ShopConfig`` and how a page of ``slate_size`` items is chosen from."""

    shop: ShopConfig = field(default_factory=ShopConfig)
    """The shop: catalogue, shoppers, reward (as for one recommendation per step)."""
    slate_size: int = 4
    """Items shown per step, k [count]."""
    no_click_weight: float = 1.0
    """Weight w0 of the "no click" option in the conditional logit [exp(logits)]."""
    shown_fatigue: float = 0.3
    """Category fatigue added by an item shown but not chosen (a chosen one adds 1) [units]."""

    def __post_init__(self) -> None:
        check_type(self, "shop", ShopConfig)
        check_int(self, "slate_size", 1, self.shop.num_items)
        check_float(self, "no_click_weight", 0.0, BIG, low_open=True)
        check_float(self, "shown_fatigue", 0.0, BIG)

    def replace(self, **changes) -> "SlateConfig":
        """A copy with some fields changed (and validated again)."""
        return dataclasses.replace(self, **changes)

    def with_shop(self, **changes) -> "SlateConfig":
        """A copy whose ``shop`` has some fields changed (e.g. ``long_term_effects=False``)."""
        return dataclasses.replace(self, shop=dataclasses.replace(self.shop, **changes))
