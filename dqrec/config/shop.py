"""Configuration of the shop simulator: one frozen, validated dataclass.

The defaults are tuned (see ``benchmarks/bench_env.py``) so that long-term effects matter:
with ``long_term_effects=True`` a policy that guards the shopper's patience earns far more per
session than the oracle that maximises the immediate expected reward; with
``long_term_effects=False`` the immediate-reward oracle is optimal.
"""

import math
from dataclasses import dataclass, fields

from dqrec.config.checks import check_bool, check_float, check_int
from dqrec.envs.codec import NUM_SESSION_FEATURES  # the observation layout lives there

INF = math.inf
# Bound of every knob that would otherwise be unbounded: far beyond any sensible value, and
# small enough that rewards, returns and their squares stay finite (1e308 gave inf returns).
BIG = 1e6


@dataclass(frozen=True)
class ShopConfig:
    """Every knob of the catalogue, the shopper model and the reward (units in brackets)."""

    # --- sizes -------------------------------------------------------------------------
    num_items: int = 50
    """Items in the catalogue (actions) [count]."""
    num_categories: int = 5
    """Categories; item i belongs to category i mod num_categories [count]."""
    latent_dim: int = 4
    """Dimension of item and preference vectors [count]."""
    history_len: int = 10
    """Recommendations kept in the observation [steps]."""
    max_steps: int = 50
    """Step cap of a session; reaching it truncates the episode [steps]."""
    long_term_effects: bool = True
    """False: no drift, no fatigue, patience ignores what is shown (greedy is optimal)."""
    catalogue_seed: int = 0
    """Seed of the catalogue (item vectors, prices, clickbait) [non-negative int]."""
    # --- catalogue -----------------------------------------------------------------------
    item_spread: float = 0.5
    """Noise of an item vector around its category centre, before normalising [latent units]."""
    clickbait_fraction: float = 0.1
    """Share of items that are clickbait (tempting, disappointing) [fraction]."""
    price_min: float = 0.2
    """Lowest price [revenue units]."""
    price_max: float = 1.0
    """Highest price [revenue units]."""
    appeal_std: float = 0.3
    """Spread of the ordinary items' appeal (click-logit offset) [logits]."""
    clickbait_appeal: float = 4.0
    """Extra appeal of a clickbait item [logits]."""
    satisfaction_max: float = 1.0
    """Ordinary items' satisfaction is uniform in [0, satisfaction_max] [satisfaction units]."""
    clickbait_satisfaction: float = -2.5
    """Satisfaction of a clickbait item (negative: it disappoints) [satisfaction units]."""
    # --- shopper ---------------------------------------------------------------------------
    affinity_scale: float = 4.0
    """Click logit per unit of preference-item cosine affinity [logits]."""
    click_bias: float = -1.5
    """Click logit of a neutral item [logits]."""
    purchase_bias: float = -1.0
    """Purchase logit (given a click) of a neutral free item [logits]."""
    purchase_affinity: float = 2.0
    """Purchase logit per unit of affinity [logits]."""
    price_sensitivity: float = 2.0
    """Purchase logit lost per revenue unit of price [logits]."""
    purchase_satisfaction: float = 0.1
    """Purchase logit per unit of item satisfaction [logits]."""
    fatigue_weight: float = 0.5
    """Click logit lost per unit of category fatigue [logits]."""
    fatigue_decay: float = 0.7
    """Share of category fatigue kept from one step to the next [fraction]."""
    drift_rate: float = 0.1
    """Step of the preference toward a clicked item's vector [fraction]."""
    patience_min: float = 2.0
    """Lowest initial patience [patience units]."""
    patience_max: float = 5.0
    """Highest initial patience [patience units]."""
    step_cost: float = 0.2
    """Patience lost every step [patience units]."""
    skip_cost: float = 0.2
    """Extra patience lost when the shopper skips the item [patience units]."""
    satisfaction_weight: float = 0.3
    """Patience gained per unit of a clicked item's satisfaction [patience units]."""
    passive_drain: float = 0.12
    """Patience lost every step when long_term_effects is False [patience units]."""
    # --- reward ----------------------------------------------------------------------------
    revenue_weight: float = 1.0
    """Reward per revenue unit of a purchase [reward / revenue unit]."""
    click_weight: float = 0.05
    """Reward per click [reward]."""

    def __post_init__(self) -> None:
        ints = {  # field: (lowest, highest), both inclusive
            "num_items": (2, 100_000),
            "num_categories": (1, self.num_items),
            "latent_dim": (1, 1024),
            "history_len": (1, 1000),
            "max_steps": (1, 1_000_000),
            "catalogue_seed": (0, 2**63 - 1),
        }
        floats = {  # field: (lowest, highest), both inclusive; BIG keeps results finite
            "item_spread": (0.0, BIG),
            "clickbait_fraction": (0.0, 1.0),
            "price_min": (0.0, BIG),
            "price_max": (self.price_min, BIG),
            "appeal_std": (0.0, BIG),
            "clickbait_appeal": (-BIG, BIG),
            "satisfaction_max": (0.0, BIG),
            "clickbait_satisfaction": (-BIG, BIG),
            "affinity_scale": (0.0, BIG),
            "click_bias": (-BIG, BIG),
            "purchase_bias": (-BIG, BIG),
            "purchase_affinity": (0.0, BIG),
            "price_sensitivity": (0.0, BIG),
            "purchase_satisfaction": (0.0, BIG),
            "fatigue_weight": (0.0, BIG),
            "fatigue_decay": (0.0, 1.0),
            "drift_rate": (0.0, 1.0),
            "patience_min": (1e-9, BIG),
            "patience_max": (self.patience_min, BIG),
            "step_cost": (0.0, BIG),
            "skip_cost": (0.0, BIG),
            "satisfaction_weight": (0.0, BIG),
            "passive_drain": (1e-9, BIG),
            "revenue_weight": (0.0, BIG),
            "click_weight": (0.0, BIG),
        }
        for name, (low, high) in ints.items():
            check_int(self, name, low, high)
        for name, (low, high) in floats.items():
            check_float(self, name, low, high)
        check_bool(self, "long_term_effects")
        checked = set(ints) | set(floats) | {"long_term_effects"}
        assert checked == {f.name for f in fields(self)}, "every field must be validated"

    @property
    def obs_dim(self) -> int:
        """Length of the flat observation: item ids, feedback codes, session features."""
        return 2 * self.history_len + NUM_SESSION_FEATURES
