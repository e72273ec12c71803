"""``SlateShopEnv``: one shopper shown a slate per step, in plain Python, as a ``gymnasium.Env``.

The reference for ``VecSlateEnv`` (the model is in ``dqrec.slates.vector``'s docstring): the
same equations, one shopper, Python floats and loops, the same counter-based draws. Its action
space is ``MultiDiscrete([num_items] * k)``; it passes ``gymnasium.utils.env_checker.check_env``.
"""

import math

import gymnasium
import numpy as np

from dqrec import rng
from dqrec.envs import ShopEnv
from dqrec.envs.codec import CLICK, PURCHASE, SKIP
from dqrec.slates import register_slate_shop
from dqrec.slates.config import SlateConfig


class SlateShopEnv(ShopEnv):
    """One shopper of the slate shop (``ShopEnv``'s shopper, reset and observation)."""

    def __init__(self, config: SlateConfig | None = None, shopper_index: int = 0, catalogue=None):
        config = SlateConfig() if config is None else config
        if not isinstance(config, SlateConfig):
            raise ValueError(f"SlateShopEnv needs a SlateConfig, got {type(config).__name__}")
        super().__init__(config.shop, shopper_index, catalogue)
        self.slate_config = config
        self.action_space = gymnasium.spaces.MultiDiscrete(
            np.full(config.slate_size, config.shop.num_items)
        )

    def _logit(self, item: int) -> float:
        cfg, cat = self.config, self.catalogue
        affinity = sum(u * v for u, v in zip(self._preference, self._latent[item], strict=True))
        fatigue = self._fatigue[int(cat.category[item])]
        logit = cfg.click_bias + cfg.affinity_scale * affinity + float(cat.appeal[item])
        return logit - cfg.fatigue_weight * fatigue

    def step(self, action):
        cfg, scfg, cat = self.config, self.slate_config, self.catalogue
        k = scfg.slate_size
        array = np.asarray(action)
        if (
            array.shape != (k,)
            or array.dtype.kind not in "iu"
            or not self.action_space.contains(array.astype(self.action_space.dtype))
        ):
            raise ValueError(f"action must be {k} ints in [0, {cfg.num_items - 1}], got {action!r}")
        slate = [int(a) for a in array]
        duplicate = [slate[j] in slate[:j] for j in range(k)]
        logits = [self._logit(item) for item in slate]
        log_w0 = math.log(scfg.no_click_weight)
        shift = max(max(logits), log_w0)
        w = [0.0 if duplicate[j] else math.exp(logits[j] - shift) for j in range(k)]
        total = math.exp(log_w0 - shift)
        for j in range(k):
            total = total + w[j]
        u = rng.uniform_scalar(self._key, 2 * self._step)
        position, cumulative = -1, 0.0
        for j in range(k):
            cumulative = cumulative + w[j]
            if u < cumulative / total:
                position = j
                break
        clicked = position >= 0
        item = slate[position] if clicked else slate[0]
        purchased = False
        if clicked:
            _, p_purchase = self._probabilities(item)
            purchased = rng.uniform_scalar(self._key, 2 * self._step + 1) < p_purchase
        revenue = float(cat.price[item]) if purchased else 0.0
        reward = cfg.click_weight * clicked + cfg.revenue_weight * revenue
        if cfg.long_term_effects:
            satisfaction = float(cat.satisfaction[item])
            change = cfg.satisfaction_weight * satisfaction if clicked else -cfg.skip_cost
            self._patience = self._patience - cfg.step_cost + change
            self._fatigue = [cfg.fatigue_decay * f for f in self._fatigue]
            for j in range(k):  # position order; a repeated item adds nothing
                if not duplicate[j]:
                    added = 1.0 if j == position else scfg.shown_fatigue
                    self._fatigue[int(cat.category[slate[j]])] += added
            if clicked:
                self._drift_toward(item)  # ShopEnv's preference drift
        else:
            self._patience = self._patience - cfg.passive_drain
        self._step += 1
        self._clicks += clicked
        self._purchases += purchased
        self._skips_in_row = 0 if clicked else self._skips_in_row + 1
        feedback = PURCHASE if purchased else CLICK if clicked else SKIP
        self._items = self._items[1:] + [item]
        self._feedback = self._feedback[1:] + [feedback]
        terminated = self._patience <= 0.0
        truncated = self._step >= cfg.max_steps and not terminated
        info = {
            "chosen": slate[position] if clicked else -1,
            "position": position,
            "clicked": clicked,
            "purchased": purchased,
            "revenue": revenue,
        }
        return self._observation(), float(reward), terminated, truncated, info


register_slate_shop()
