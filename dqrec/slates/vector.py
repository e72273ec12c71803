"""``VecSlateEnv``: the shop in slate mode, many shoppers stepped at once.

Each step shows every shopper a slate A of k = ``slate_size`` items (an int row of k item
ids). The shopper is the single-item shop's (``dqrec.envs.vector``: hidden unit preference u,
patience P, category fatigue f; the same catalogue, the same counter-based randomness), and
the symbols below are ``ShopConfig`` / ``SlateConfig`` fields.

Step t, showing slate A = (a_1, ..., a_k):
    logit         z_i = click_bias + affinity_scale * <u, v_i> + a_i - fatigue_weight * f_c(i)
    choice        P(i | A) = exp(z_i) / (w0 + sum_{j in A} exp(z_j)),   w0 = no_click_weight
                  P(none | A) = w0 / (w0 + sum_{j in A} exp(z_j))
                  (an item repeated in the slate is shown once: later copies have weight 0)
    draw          U = uniform(counter 2t); the chosen position is the first j with
                  U < sum_{l <= j} P(a_l | A); none is chosen if there is no such j
    purchase      p_b = sigmoid(purchase_bias + purchase_affinity * <u, v_c> - price_sensitivity
                        * p_c + purchase_satisfaction * s_c) for the chosen item c, drawn with
                  uniform(counter 2t + 1)
    reward        r = click_weight * [chosen] + revenue_weight * p_c * [purchased]
With long_term_effects (the default):
    patience      P <- P - step_cost + (satisfaction_weight * s_c  if an item c is chosen
                                        else -skip_cost)
    fatigue       f <- fatigue_decay * f, then f_c(c) += 1 for the chosen item and
                  f_c(j) += shown_fatigue for every other item j shown: **what is shown but
                  not chosen still tires the shopper of its category** (position order)
    drift         u <- normalise(u + drift_rate * (v_c - u))            (only after a choice)
Without them, P <- P - passive_drain and nothing else changes (greedy is then optimal).
The session terminates when P <= 0 and is truncated after ``max_steps`` steps.

The observation is the single-item shop's (``dqrec.envs.codec``): each step adds one entry to
the history, the chosen item with CLICK or PURCHASE, or, when nothing was chosen, the slate's
first item with SKIP. So every Q-network of the package reads it unchanged.

With k = 1, w0 = 1 and shown_fatigue = 1 the slate shop is the single-item shop: P(a_1 | A) =
sigmoid(z) is its click probability, and a skipped item adds 1 to the fatigue as there
(tested). Shopper i of ``VecSlateEnv(seed=s)`` equals ``SlateShopEnv(shopper_index=i)`` after
``reset(seed=s)``, step by step (tested).
"""

import gymnasium
import numpy as np

from dqrec import rng
from dqrec.envs import VecShopEnv
from dqrec.envs.catalogue import normalise
from dqrec.slates.choice import choice_weights, duplicate_mask
from dqrec.slates.config import SlateConfig


def check_slates(slates, num_rows: int, slate_size: int, num_items: int) -> np.ndarray:
    """``slates`` as an int64 ``(num_rows, slate_size)`` array, or one clear ``ValueError``."""
    array = np.asarray(slates)
    if array.shape != (num_rows, slate_size) or array.dtype.kind not in "iu":
        raise ValueError(
            f"slates must be ints of shape ({num_rows}, {slate_size}), got "
            f"{array.dtype} of shape {array.shape}"
        )
    if array.size and (array.min() < 0 or array.max() >= num_items):
        bad = array[(array < 0) | (array >= num_items)][0]
        raise ValueError(f"slate item {bad} is not in [0, {num_items - 1}]")
    return array.astype(np.int64)


class VecSlateEnv(VecShopEnv):
    """``num_envs`` shoppers shown a slate each per step (the model is in the module docstring).

    The hidden state, resets, autoreset, ``get_state``/``set_state`` and the observation are
    ``VecShopEnv``'s; ``step`` takes slates ``(N, k)``. Oracles read ``choice_logits`` and
    ``item_rewards`` (hidden state), never a learning agent.
    """

    def __init__(self, config: SlateConfig, num_envs: int, seed: int = 0, catalogue=None):
        if not isinstance(config, SlateConfig):
            raise ValueError(f"VecSlateEnv needs a SlateConfig, got {type(config).__name__}")
        super().__init__(config.shop, num_envs, seed, catalogue)
        self.slate_config = config
        self.slate_size = config.slate_size
        self.single_action_space = gymnasium.spaces.MultiDiscrete(
            np.full(config.slate_size, config.shop.num_items)
        )

    def step(self, slates):
        """Show ``slates[n]`` to shopper n; returns obs, rewards, terminated, truncated, info.

        ``info``: ``chosen`` (item id, -1 for none), ``position`` (0..k-1, -1 for none),
        ``clicked``, ``purchased``, ``revenue``, ``final_obs``, ``episode_return``,
        ``episode_length`` (as ``VecShopEnv``).
        """
        cfg, scfg, cat, rows = self.config, self.slate_config, self.catalogue, self._rows
        slates = check_slates(slates, self.num_envs, self.slate_size, cfg.num_items)
        duplicate = duplicate_mask(slates)
        categories = cat.category[slates]  # (N, k)
        affinity = np.einsum("nd,nkd->nk", self._preference, cat.latent[slates])  # (N, k)
        fatigue = self._fatigue[rows[:, None], categories]  # (N, k)
        logits, purchase_logits = self._click_purchase_logits(affinity, slates, fatigue)
        w, _, total = choice_weights(logits, scfg.no_click_weight, duplicate)
        draws = self._draws()  # (N, 2)
        position = np.full(self.num_envs, -1)
        cumulative = np.zeros(self.num_envs)
        for j in range(self.slate_size):  # first position whose cumulative share passes U
            cumulative = cumulative + w[:, j]
            position = np.where((position < 0) & (draws[:, 0] < cumulative / total), j, position)
        clicked = position >= 0
        at = np.maximum(position, 0)
        chosen = np.where(clicked, slates[rows, at], -1)
        p_purchase = 1.0 / (1.0 + np.exp(-purchase_logits[rows, at]))
        purchased = clicked & (draws[:, 1] < p_purchase)
        item = np.where(clicked, chosen, slates[:, 0])  # what the history records
        revenue = np.where(purchased, cat.price[item], 0.0)
        rewards = cfg.click_weight * clicked + cfg.revenue_weight * revenue

        if cfg.long_term_effects:
            change = np.where(
                clicked, cfg.satisfaction_weight * cat.satisfaction[item], -cfg.skip_cost
            )
            self._patience = self._patience - cfg.step_cost + change
            self._fatigue *= cfg.fatigue_decay
            added = np.where(
                np.arange(self.slate_size) == position[:, None], 1.0, scfg.shown_fatigue
            )
            added = np.where(duplicate, 0.0, added)  # (N, k)
            np.add.at(
                self._fatigue, (np.repeat(rows, self.slate_size), categories.ravel()), added.ravel()
            )
            moved = self._preference + cfg.drift_rate * (cat.latent[item] - self._preference)
            self._preference = np.where(clicked[:, None], normalise(moved), self._preference)
        else:
            self._patience = self._patience - cfg.passive_drain
        return self._finish_step(item, clicked, purchased, revenue, rewards, chosen, position)

    def _draws(self):
        return rng.uniform(self._key[:, None], 2 * self._step[:, None] + np.arange(2))

    def _finish_step(self, item, clicked, purchased, revenue, rewards, chosen, position):
        cfg = self.config
        self._step += 1
        self._clicks += clicked
        self._purchases += purchased
        self._skips_in_row = np.where(clicked, 0, self._skips_in_row + 1)
        self._return += rewards
        self._write_obs(item, clicked, purchased)
        terminated = self._patience <= 0.0
        truncated = (self._step >= cfg.max_steps) & ~terminated
        info = {
            "final_obs": self._obs.copy(),
            "chosen": chosen,
            "position": position,
            "clicked": clicked,
            "purchased": purchased,
            "revenue": revenue,
            "episode_return": self._return.copy(),
            "episode_length": self._step.copy(),
        }
        done = np.flatnonzero(terminated | truncated)
        if done.size:
            self._episode[done] += 1
            self._start_sessions(done)
        return self._obs.copy(), rewards.astype(np.float32), terminated, truncated, info

    # ---- the hidden state, for oracles and analysis -----------------------------------
    def choice_logits(self) -> np.ndarray:
        """z_i of every item for every shopper, ``(N, num_items)`` (hidden state)."""
        cat = self.catalogue
        affinity = self._preference @ cat.latent.T
        fatigue = self._fatigue[:, cat.category]
        logits, _ = self._click_purchase_logits(affinity, np.arange(self.config.num_items), fatigue)
        return logits

    def item_rewards(self) -> np.ndarray:
        """Expected reward if the shopper chooses item i, ``(N, num_items)`` (hidden state):
        click_weight + revenue_weight * p_i * P(purchase | chosen i)."""
        cfg = self.config
        _, p_purchase = self.click_purchase_probabilities()
        return cfg.click_weight + cfg.revenue_weight * self.catalogue.price * p_purchase
