"""``ShopEnv``: one shopper, written plainly with Python floats, the reference for ``VecShopEnv``.

The same user model and counter-based randomness as ``dqrec.envs.vector`` (read its docstring),
one shopper at a time, as a ``gymnasium.Env`` registered as ``"dqrec/Shop-v0"``. A test steps
both side by side and asserts they agree.
"""

import math

import gymnasium
import numpy as np

from dqrec import rng
from dqrec.config import ShopConfig
from dqrec.envs import register_shop
from dqrec.envs.catalogue import Catalogue, purchase_base
from dqrec.envs.codec import (
    CLICK,
    PAD_FEEDBACK,
    PURCHASE,
    SKIP,
    observation_bounds,
    session_features,
)
from dqrec.envs.vector import RESET_COUNTER


class ShopEnv(gymnasium.Env):
    """One shopper, written plainly with Python floats: the reference for ``VecShopEnv``.

    ``ShopEnv(config, shopper_index=i)`` after ``reset(seed=s)`` is shopper i of
    ``VecShopEnv(config, num_envs, seed=s)``; each later ``reset()`` without a seed starts the
    next episode number, as an autoreset does. A first ``reset()`` without a seed uses seed 0.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        config: ShopConfig | None = None,
        shopper_index: int = 0,
        catalogue: Catalogue | None = None,
    ):
        self.config = ShopConfig() if config is None else config
        if not isinstance(shopper_index, int) or shopper_index < 0:
            raise ValueError(f"shopper_index must be an int >= 0, got {shopper_index!r}")
        self.shopper_index = shopper_index
        self.catalogue = Catalogue.from_config(self.config) if catalogue is None else catalogue
        low, high = observation_bounds(self.config)
        self.observation_space = gymnasium.spaces.Box(low, high, dtype=np.float32)
        self.action_space = gymnasium.spaces.Discrete(self.config.num_items)
        self._latent = self.catalogue.latent.tolist()  # item vectors as lists of floats
        self._purchase_base = purchase_base(self.config, self.catalogue).tolist()
        self._seed, self._episode = 0, -1

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)  # gymnasium bookkeeping; our draws come from dqrec.rng
        cfg = self.config
        if seed is not None:
            self._seed, self._episode = int(seed), -1
        self._episode += 1
        self._key = rng.shopper_key_scalar(self._seed, self.shopper_index, self._episode)
        u = rng.uniform_scalar(self._key, RESET_COUNTER)
        self._patience = cfg.patience_min + (cfg.patience_max - cfg.patience_min) * u
        g = rng.normal_scalar(self._key, RESET_COUNTER + 1, cfg.latent_dim)
        norm = math.sqrt(sum(x * x for x in g))
        self._preference = [x / norm for x in g]
        self._fatigue = [0.0] * cfg.num_categories
        self._step = self._clicks = self._purchases = self._skips_in_row = 0
        self._items = [cfg.num_items] * cfg.history_len  # padding, oldest first
        self._feedback = [PAD_FEEDBACK] * cfg.history_len
        return self._observation(), {}

    def _probabilities(self, item: int) -> tuple[float, float]:
        cfg, cat = self.config, self.catalogue
        affinity = sum(u * v for u, v in zip(self._preference, self._latent[item], strict=True))
        fatigue = self._fatigue[int(cat.category[item])]
        click_logit = cfg.click_bias + cfg.affinity_scale * affinity + float(cat.appeal[item])
        click_logit -= cfg.fatigue_weight * fatigue
        purchase_logit = self._purchase_base[item] + cfg.purchase_affinity * affinity
        return 1.0 / (1.0 + math.exp(-click_logit)), 1.0 / (1.0 + math.exp(-purchase_logit))

    def _drift_toward(self, item):
        """The preference moves ``drift_rate`` of the way toward ``item``'s latent vector and
        is renormalised to unit length (after a click, with long-term effects on)."""
        pairs = zip(self._preference, self._latent[item], strict=True)
        moved = [u + self.config.drift_rate * (v - u) for u, v in pairs]
        norm = math.sqrt(sum(x * x for x in moved))
        self._preference = [x / norm for x in moved]

    def step(self, action):
        cfg, cat = self.config, self.catalogue
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an int in [0, {cfg.num_items - 1}], got {action!r}")
        item = int(action)
        p_click, p_purchase = self._probabilities(item)
        clicked = rng.uniform_scalar(self._key, 2 * self._step) < p_click
        purchased = clicked and rng.uniform_scalar(self._key, 2 * self._step + 1) < p_purchase
        revenue = float(cat.price[item]) if purchased else 0.0
        reward = cfg.click_weight * clicked + cfg.revenue_weight * revenue
        if cfg.long_term_effects:
            satisfaction = float(cat.satisfaction[item])
            change = cfg.satisfaction_weight * satisfaction if clicked else -cfg.skip_cost
            self._patience = self._patience - cfg.step_cost + change
            self._fatigue = [cfg.fatigue_decay * f for f in self._fatigue]
            self._fatigue[int(cat.category[item])] += 1.0
            if clicked:  # the preference drifts toward what the shopper consumed
                self._drift_toward(item)
        else:
            self._patience = self._patience - cfg.passive_drain
        self._step += 1
        self._clicks += clicked
        self._purchases += purchased
        self._skips_in_row = 0 if clicked else self._skips_in_row + 1
        feedback = PURCHASE if purchased else CLICK if clicked else SKIP
        self._items = self._items[1:] + [item]  # most recent last
        self._feedback = self._feedback[1:] + [feedback]
        terminated = self._patience <= 0.0
        truncated = self._step >= cfg.max_steps and not terminated
        info = {"clicked": clicked, "purchased": purchased, "revenue": revenue}
        return self._observation(), float(reward), terminated, truncated, info

    def _observation(self) -> np.ndarray:
        cfg = self.config
        features = session_features(
            self._step,
            self._clicks,
            self._purchases,
            self._skips_in_row,
            cfg.history_len,
            cfg.max_steps,
        )
        return np.array(self._items + self._feedback + features.tolist(), dtype=np.float32)

    def expected_rewards(self) -> np.ndarray:
        """Expected immediate reward of every item, ``(num_items,)``, from the hidden state."""
        cfg = self.config
        out = []
        for item in range(cfg.num_items):
            p_click, p_purchase = self._probabilities(item)
            revenue = cfg.revenue_weight * float(self.catalogue.price[item])
            out.append(p_click * (cfg.click_weight + p_purchase * revenue))
        return np.array(out)


register_shop()
