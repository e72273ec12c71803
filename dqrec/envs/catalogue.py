"""The simulated catalogue: fixed item attributes drawn from ``ShopConfig.catalogue_seed``.

Item i has category c(i) = i mod num_categories, a unit latent vector v_i =
normalise(centre_c(i) + item_spread * e_i / sqrt(latent_dim)) with e_i ~ N(0, I), so items of
one category point the same way; a price p_i ~ U(price_min, price_max); an appeal
a_i ~ N(0, appeal_std^2); a satisfaction s_i ~ U(0, satisfaction_max). A fixed
``clickbait_fraction`` of items are clickbait: a_i += clickbait_appeal and
s_i = clickbait_satisfaction (tempting, then disappointing).

A ``Catalogue`` holds item attributes only; what depends on the shopper model's parameters
(``purchase_base``) is derived from them where the simulator needs it, so a catalogue
changed with ``dataclasses.replace`` (e.g. other prices) is never stale.
"""

import math
from dataclasses import dataclass

import numpy as np


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` scaled to unit length (last axis)."""
    return x / np.sqrt(np.einsum("...d,...d->...", x, x))[..., None]


@dataclass(frozen=True)
class Catalogue:
    """Fixed item attributes (read-only arrays indexed by item id; see the module docstring)."""

    latent: np.ndarray  # (num_items, latent_dim) unit vectors v_i
    category: np.ndarray  # (num_items,) int64 c(i)
    price: np.ndarray  # (num_items,) p_i in revenue units
    appeal: np.ndarray  # (num_items,) a_i in click logits
    satisfaction: np.ndarray  # (num_items,) s_i
    is_clickbait: np.ndarray  # (num_items,) bool

    @classmethod
    def from_config(cls, config) -> "Catalogue":
        """Build the catalogue of a ``ShopConfig`` deterministically from its ``catalogue_seed``."""
        gen = np.random.default_rng(config.catalogue_seed)
        n, d = config.num_items, config.latent_dim
        centres = normalise(gen.normal(size=(config.num_categories, d)))
        category = np.arange(n) % config.num_categories
        noise = gen.normal(size=(n, d)) * (config.item_spread / math.sqrt(d))
        latent = normalise(centres[category] + noise)
        price = gen.uniform(config.price_min, config.price_max, size=n)
        appeal = gen.normal(0.0, config.appeal_std, size=n)
        satisfaction = gen.uniform(0.0, config.satisfaction_max, size=n)
        is_clickbait = np.zeros(n, dtype=bool)
        is_clickbait[gen.permutation(n)[: round(config.clickbait_fraction * n)]] = True
        appeal = np.where(is_clickbait, appeal + config.clickbait_appeal, appeal)
        satisfaction = np.where(is_clickbait, config.clickbait_satisfaction, satisfaction)
        arrays = (latent, category, price, appeal, satisfaction, is_clickbait)
        for array in arrays:
            array.setflags(write=False)
        return cls(*arrays)


def purchase_base(config, catalogue: Catalogue) -> np.ndarray:
    """The item-only part of the purchase logit ``(num_items,)``:
    purchase_bias - price_sensitivity * p_i + purchase_satisfaction * s_i."""
    return (
        config.purchase_bias
        - config.price_sensitivity * catalogue.price
        + config.purchase_satisfaction * catalogue.satisfaction
    )
