"""``VecShopEnv``: many shoppers stepped at once with whole-array NumPy operations.

The user model (every symbol is a ``ShopConfig`` field; the catalogue's symbols are defined
in ``dqrec.envs.catalogue``). Shopper (hidden): a unit preference u_0 = normalise(g),
g ~ N(0, I); a patience P_0 = patience_min + (patience_max - patience_min) * U; a fatigue
f_c = 0 per category.

Step t, recommending item i:
    affinity      x   = <u, v_i>                                      (cosine, in [-1, 1])
    click         p_c = sigmoid(click_bias + affinity_scale * x + a_i - fatigue_weight * f_c(i))
    purchase      p_b = sigmoid(purchase_bias + purchase_affinity * x - price_sensitivity * p_i
                                + purchase_satisfaction * s_i)                  (given a click)
    reward        r   = click_weight * click + revenue_weight * p_i * purchase
With long_term_effects (the default), what is shown changes the future:
    patience      P  <- P - step_cost + (satisfaction_weight * s_i  if click else -skip_cost)
    fatigue       f  <- fatigue_decay * f, then f_c(i) += 1
    drift         u  <- normalise(u + drift_rate * (v_i - u))          (only after a click)
Without them, P <- P - passive_drain and nothing else changes, so every session's length is
fixed at reset and the greedy argmax of the expected immediate reward is optimal.
The session terminates when P <= 0 and is truncated after ``max_steps`` steps otherwise.
The observation is encoded as ``dqrec.envs.codec`` defines; u, P and f stay hidden.

Randomness is counter-based (``dqrec.rng``): step t draws the click from counter 2t and the
purchase from counter 2t + 1 of the key (seed, shopper index, episode number); a reset draws P_0
and g from counters RESET_COUNTER + 0, 1, 2, ....  Shopper i of ``VecShopEnv(seed=s)`` in its
k-th session (k = 0, 1, ... as it is autoreset) equals ``ShopEnv(shopper_index=i)`` after
``reset(seed=s)`` followed by k plain ``reset()`` calls, step by step for the same actions.
"""

import gymnasium
import numpy as np

from dqrec import rng
from dqrec.config import ShopConfig
from dqrec.envs import register_shop
from dqrec.envs.catalogue import Catalogue, normalise, purchase_base
from dqrec.envs.codec import SKIP, observation_bounds, session_features

RESET_COUNTER = 1 << 40  # reset draws use counters far above any step's 2t, 2t + 1


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class VecShopEnv:
    """``num_envs`` shoppers stepped at once; a finished session is replaced in the same step.

    The hidden state is one row per shopper: preference ``(N, latent_dim)``, patience ``(N,)``,
    category fatigue ``(N, num_categories)``; the observation buffer ``(N, obs_dim)`` holds
    the history. Every operation is on whole arrays: there is no Python loop over shoppers.
    """

    def __init__(
        self, config: ShopConfig, num_envs: int, seed: int = 0, catalogue: Catalogue | None = None
    ):
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
        if not 0 <= int(seed) < 2**63:
            raise ValueError(f"seed must be an int in [0, 2**63), got {seed!r}")
        self.config, self.num_envs, self.seed = config, num_envs, int(seed)
        # an injected catalogue (e.g. calibrated from real data, dqrec.calibrate) replaces the
        # one drawn from catalogue_seed
        self.catalogue = Catalogue.from_config(config) if catalogue is None else catalogue
        self._purchase_base = purchase_base(config, self.catalogue)  # (num_items,)
        low, high = observation_bounds(config)
        self.single_observation_space = gymnasium.spaces.Box(low, high, dtype=np.float32)
        self.single_action_space = gymnasium.spaces.Discrete(config.num_items)
        self._rows = np.arange(num_envs)
        self._shopper = self._rows.astype(np.uint64)
        n, h = num_envs, config.history_len
        self._episode = np.full(n, -1, dtype=np.int64)  # the first reset() starts episode 0
        self._key = np.zeros(n, dtype=np.uint64)
        self._step = np.zeros(n, dtype=np.int64)
        self._preference = np.zeros((n, config.latent_dim))
        self._patience = np.zeros(n)
        self._fatigue = np.zeros((n, config.num_categories))
        self._clicks = np.zeros(n, dtype=np.int64)
        self._purchases = np.zeros(n, dtype=np.int64)
        self._skips_in_row = np.zeros(n, dtype=np.int64)
        self._return = np.zeros(n)
        self._obs = np.zeros((n, config.obs_dim), dtype=np.float32)
        self._pad_row = np.zeros(config.obs_dim, dtype=np.float32)
        self._pad_row[:h] = config.num_items

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict]:
        """Start a new session for every shopper and return the first observations ``(N, D)``.

        With a ``seed``, every shopper starts episode number 0 of that seed; without one, every
        shopper moves on to its next episode number (the first reset starts episode 0).
        """
        if seed is not None:
            if not 0 <= int(seed) < 2**63:
                raise ValueError(f"seed must be an int in [0, 2**63), got {seed!r}")
            self.seed = int(seed)
            self._episode[:] = -1
        self._episode += 1
        self._start_sessions(self._rows)
        return self._obs.copy(), {}

    def _start_sessions(self, rows: np.ndarray) -> None:
        """Draw fresh shoppers in the given rows (the episode number is already set)."""
        cfg = self.config
        key = rng.shopper_key(self.seed, self._shopper[rows], self._episode[rows])  # (k,)
        self._key[rows] = key
        u = rng.uniform(key, RESET_COUNTER)
        self._patience[rows] = cfg.patience_min + (cfg.patience_max - cfg.patience_min) * u
        g = rng.normal(key, RESET_COUNTER + 1, cfg.latent_dim)  # (k, latent_dim)
        self._preference[rows] = normalise(g)
        self._fatigue[rows] = 0.0
        for counter in (self._step, self._clicks, self._purchases, self._skips_in_row):
            counter[rows] = 0
        self._return[rows] = 0.0
        self._obs[rows] = self._pad_row

    def _click_purchase_logits(self, affinity, items, fatigue):
        cfg, cat = self.config, self.catalogue
        click = cfg.click_bias + cfg.affinity_scale * affinity + cat.appeal[items]
        click -= cfg.fatigue_weight * fatigue
        purchase = self._purchase_base[items] + cfg.purchase_affinity * affinity
        return click, purchase

    def step(self, actions: np.ndarray):
        """Recommend ``actions[n]`` to shopper n; returns obs, rewards, terminated, truncated, info."""
        cfg, cat, rows = self.config, self.catalogue, self._rows
        items = np.asarray(actions)
        if items.shape != (self.num_envs,) or items.dtype.kind not in "iu":
            raise ValueError(f"actions must be ints of shape ({self.num_envs},), got {items!r}")
        if items.min() < 0 or items.max() >= cfg.num_items:
            raise ValueError(f"actions must lie in [0, {cfg.num_items - 1}], got {items!r}")
        item_category = cat.category[items]  # (N,)
        affinity = np.einsum("nd,nd->n", self._preference, cat.latent[items])  # (N,)
        fatigue = self._fatigue[rows, item_category]  # (N,)
        click_logit, purchase_logit = self._click_purchase_logits(affinity, items, fatigue)
        draws = rng.uniform(self._key[:, None], 2 * self._step[:, None] + np.arange(2))  # (N, 2)
        clicked = draws[:, 0] < _sigmoid(click_logit)
        purchased = clicked & (draws[:, 1] < _sigmoid(purchase_logit))
        revenue = np.where(purchased, cat.price[items], 0.0)
        rewards = cfg.click_weight * clicked + cfg.revenue_weight * revenue  # (N,)

        if cfg.long_term_effects:
            change = np.where(
                clicked, cfg.satisfaction_weight * cat.satisfaction[items], -cfg.skip_cost
            )
            self._patience = self._patience - cfg.step_cost + change
            self._fatigue *= cfg.fatigue_decay
            self._fatigue[rows, item_category] += 1.0
            moved = self._preference + cfg.drift_rate * (cat.latent[items] - self._preference)
            self._preference = np.where(clicked[:, None], normalise(moved), self._preference)
        else:
            self._patience = self._patience - cfg.passive_drain

        self._step += 1
        self._clicks += clicked
        self._purchases += purchased
        self._skips_in_row = np.where(clicked, 0, self._skips_in_row + 1)
        self._return += rewards
        self._write_obs(items, clicked, purchased)
        terminated = self._patience <= 0.0
        truncated = (self._step >= cfg.max_steps) & ~terminated
        info = {
            "final_obs": self._obs.copy(),
            "clicked": clicked,
            "purchased": purchased,
            "revenue": revenue,
            "episode_return": self._return.copy(),  # valid where terminated | truncated
            "episode_length": self._step.copy(),
        }
        done = np.flatnonzero(terminated | truncated)
        if done.size:  # same-step autoreset: the next shopper's first obs replaces the last obs
            self._episode[done] += 1
            self._start_sessions(done)
        return self._obs.copy(), rewards.astype(np.float32), terminated, truncated, info

    def _write_obs(self, items, clicked, purchased) -> None:
        h, obs = self.config.history_len, self._obs
        # one shift moves ids and feedback left; the first feedback lands in column h - 1,
        # which the newest item id overwrites next
        obs[:, : 2 * h - 1] = obs[:, 1 : 2 * h]
        obs[:, h - 1] = items
        obs[:, 2 * h - 1] = SKIP + clicked + purchased  # 1, 2 or 3: a purchase implies a click
        features = session_features(
            self._step, self._clicks, self._purchases, self._skips_in_row, h, self.config.max_steps
        )
        obs[:, 2 * h :] = features

    def click_purchase_probabilities(self) -> tuple[np.ndarray, np.ndarray]:
        """P(click) and P(purchase | click) of every item for every shopper, ``(N, num_items)``.

        Computed from the hidden state: for oracles and analysis, never for learning agents.
        """
        affinity = self._preference @ self.catalogue.latent.T  # (N, num_items)
        fatigue = self._fatigue[:, self.catalogue.category]  # (N, num_items)
        items = np.arange(self.config.num_items)
        click_logit, purchase_logit = self._click_purchase_logits(affinity, items, fatigue)
        return _sigmoid(click_logit), _sigmoid(purchase_logit)

    def expected_rewards(self) -> np.ndarray:
        """Expected immediate reward of every item for every shopper, ``(N, num_items)``."""
        cfg = self.config
        p_click, p_purchase = self.click_purchase_probabilities()
        revenue = cfg.revenue_weight * self.catalogue.price
        return p_click * (cfg.click_weight + p_purchase * revenue)

    _STATE = (
        "episode",
        "step",
        "preference",
        "patience",
        "fatigue",
        "clicks",
        "purchases",
        "skips_in_row",
        "return",
        "obs",
    )

    def get_state(self) -> dict[str, np.ndarray]:
        """Copy of the full state (with the seed), so ``set_state`` resumes identical futures."""
        state = {name: getattr(self, "_" + name).copy() for name in self._STATE}
        state["seed"] = np.array(self.seed, dtype=np.int64)
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore a state from ``get_state`` (of an env with the same config and num_envs)."""
        for name in self._STATE:
            value = np.asarray(state[name])
            if value.shape != getattr(self, "_" + name).shape:
                raise ValueError(f"state[{name!r}] has shape {value.shape}, expected another")
            setattr(self, "_" + name, value.astype(getattr(self, "_" + name).dtype, copy=True))
        self.seed = int(state["seed"])
        self._key = rng.shopper_key(self.seed, self._shopper, np.maximum(self._episode, 0))


register_shop()  # gymnasium is loaded now: "dqrec/Shop-v0" costs nothing more
