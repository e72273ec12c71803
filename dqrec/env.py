"""The shop simulator: shoppers in an online shop, one recommendation per step.

The user model (every symbol is a ``ShopConfig`` field unless defined here):

Catalogue (fixed by ``catalogue_seed``). Item i has category c(i) = i mod num_categories, a
unit latent vector v_i = normalise(centre_c(i) + item_spread * e_i / sqrt(latent_dim)) with
e_i ~ N(0, I), so items of one category point the same way; a price p_i ~ U(price_min,
price_max); an appeal a_i ~ N(0, appeal_std^2); a satisfaction s_i ~ U(0, satisfaction_max).
A fixed ``clickbait_fraction`` of items are clickbait: a_i += clickbait_appeal and
s_i = clickbait_satisfaction (tempting, then disappointing).

Shopper (hidden). A unit preference u_0 = normalise(g), g ~ N(0, I); a patience
P_0 = patience_min + (patience_max - patience_min) * U; a fatigue f_c = 0 per category.

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

Observation (float32, ``obs_dim = 2 * history_len + NUM_SESSION_FEATURES``): the ids of the
last ``history_len`` recommended items, oldest first and most recent last, padded with id
``num_items``; their feedback codes (PAD_FEEDBACK, SKIP, CLICK, PURCHASE); then the session
features t / max_steps, clicks / t, purchases / t and min(skips in a row, H) / H, all in
[0, 1]. The preference u, the patience P and the fatigue f stay hidden.

Randomness is counter-based (``dqrec.rng``): step t draws the click from counter 2t and the
purchase from counter 2t + 1 of the key (seed, shopper index, episode number); a reset draws P_0
and g from counters RESET_COUNTER + 0, 1, 2, ....  Shopper i of ``VecShopEnv(seed=s)`` in its
k-th session (k = 0, 1, ... as it is autoreset) equals ``ShopEnv(shopper_index=i)`` after
``reset(seed=s)`` followed by k plain ``reset()`` calls, step by step for the same actions.
"""

import math
from dataclasses import dataclass

import gymnasium
import numpy as np

from dqrec import rng
from dqrec.config import NUM_SESSION_FEATURES, ShopConfig  # re-exported: dqrec.env.ShopConfig

__all__ = [
    "CLICK",
    "NUM_SESSION_FEATURES",
    "PAD_FEEDBACK",
    "PURCHASE",
    "SKIP",
    "Catalogue",
    "ShopConfig",
    "ShopEnv",
    "VecShopEnv",
    "observation_bounds",
    "observation_from_history",
    "split_observation",
]

PAD_FEEDBACK, SKIP, CLICK, PURCHASE = 0, 1, 2, 3  # feedback codes in the observation
RESET_COUNTER = 1 << 40  # reset draws use counters far above any step's 2t, 2t + 1


def split_observation(
    obs: np.ndarray, history_len: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split flat observations ``(..., obs_dim)`` into item ids, feedback codes and features."""
    item_ids = obs[..., :history_len].astype(np.int32)  # (..., H), padding id = num_items
    feedback = obs[..., history_len : 2 * history_len].astype(np.int32)  # (..., H)
    features = obs[..., 2 * history_len :].astype(np.float32)  # (..., NUM_SESSION_FEATURES)
    return item_ids, feedback, features


def observation_bounds(config: ShopConfig) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest value of each observation entry (float32 arrays of ``obs_dim``)."""
    high = np.concatenate(
        [
            np.full(config.history_len, config.num_items),  # item ids; num_items is padding
            np.full(config.history_len, PURCHASE),  # feedback codes
            np.ones(NUM_SESSION_FEATURES),  # session features are fractions
        ]
    ).astype(np.float32)
    return np.zeros_like(high), high


def observation_from_history(config: ShopConfig, items, feedback) -> np.ndarray:
    """The observation ``(obs_dim,)`` of a shopper whose session so far is ``items`` (oldest
    first) with ``feedback`` codes (SKIP, CLICK or PURCHASE): what ``ShopEnv`` would show.

    Used to score a real shopper's history with a trained Q-network (``dqrec recommend``).
    """
    items, feedback = [int(i) for i in items], [int(f) for f in feedback]
    if len(items) != len(feedback):
        raise ValueError(f"{len(items)} items but {len(feedback)} feedback codes")
    for item in items:
        if not 0 <= item < config.num_items:
            raise ValueError(f"item id {item} is not in [0, {config.num_items - 1}]")
    for code in feedback:
        if code not in (SKIP, CLICK, PURCHASE):
            raise ValueError(f"feedback code {code} is not one of {SKIP}, {CLICK}, {PURCHASE}")
    h, steps = config.history_len, max(len(items), 1)
    skips_in_row = 0
    for code in reversed(feedback):
        if code != SKIP:
            break
        skips_in_row += 1
    recent = items[-h:] if items else []
    recent_feedback = feedback[-h:] if feedback else []
    padding = h - len(recent)
    features = [
        min(len(items), config.max_steps) / config.max_steps,
        sum(code >= CLICK for code in feedback) / steps,
        sum(code == PURCHASE for code in feedback) / steps,
        min(skips_in_row, h) / h,
    ]
    row = [config.num_items] * padding + recent + [PAD_FEEDBACK] * padding + recent_feedback
    return np.array(row + features, dtype=np.float32)


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.sqrt(np.einsum("...d,...d->...", x, x))[..., None]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class Catalogue:
    """Fixed item attributes (read-only arrays indexed by item id; see the module docstring)."""

    latent: np.ndarray  # (num_items, latent_dim) unit vectors v_i
    category: np.ndarray  # (num_items,) int64 c(i)
    price: np.ndarray  # (num_items,) p_i in revenue units
    appeal: np.ndarray  # (num_items,) a_i in click logits
    satisfaction: np.ndarray  # (num_items,) s_i
    is_clickbait: np.ndarray  # (num_items,) bool
    purchase_base: np.ndarray  # (num_items,) purchase logit without the affinity term

    @classmethod
    def from_config(cls, config: ShopConfig) -> "Catalogue":
        """Build the catalogue deterministically from ``config.catalogue_seed``."""
        gen = np.random.default_rng(config.catalogue_seed)
        n, d = config.num_items, config.latent_dim
        centres = _normalise(gen.normal(size=(config.num_categories, d)))
        category = np.arange(n) % config.num_categories
        noise = gen.normal(size=(n, d)) * (config.item_spread / math.sqrt(d))
        latent = _normalise(centres[category] + noise)
        price = gen.uniform(config.price_min, config.price_max, size=n)
        appeal = gen.normal(0.0, config.appeal_std, size=n)
        satisfaction = gen.uniform(0.0, config.satisfaction_max, size=n)
        is_clickbait = np.zeros(n, dtype=bool)
        is_clickbait[gen.permutation(n)[: round(config.clickbait_fraction * n)]] = True
        appeal = np.where(is_clickbait, appeal + config.clickbait_appeal, appeal)
        satisfaction = np.where(is_clickbait, config.clickbait_satisfaction, satisfaction)
        purchase_base = (
            config.purchase_bias
            - config.price_sensitivity * price
            + config.purchase_satisfaction * satisfaction
        )
        arrays = (latent, category, price, appeal, satisfaction, is_clickbait, purchase_base)
        for array in arrays:
            array.setflags(write=False)
        return cls(*arrays)


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
        self._preference[rows] = _normalise(g)
        self._fatigue[rows] = 0.0
        for counter in (self._step, self._clicks, self._purchases, self._skips_in_row):
            counter[rows] = 0
        self._return[rows] = 0.0
        self._obs[rows] = self._pad_row

    def _click_purchase_logits(self, affinity, items, fatigue):
        cfg, cat = self.config, self.catalogue
        click = cfg.click_bias + cfg.affinity_scale * affinity + cat.appeal[items]
        click -= cfg.fatigue_weight * fatigue
        purchase = cat.purchase_base[items] + cfg.purchase_affinity * affinity
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
            self._preference = np.where(clicked[:, None], _normalise(moved), self._preference)
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
        steps = self._step.astype(np.float64)
        obs[:, 2 * h] = steps / self.config.max_steps
        obs[:, 2 * h + 1] = self._clicks / steps
        obs[:, 2 * h + 2] = self._purchases / steps
        obs[:, 2 * h + 3] = np.minimum(self._skips_in_row, h) / h

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
        purchase_logit = float(cat.purchase_base[item]) + cfg.purchase_affinity * affinity
        return 1.0 / (1.0 + math.exp(-click_logit)), 1.0 / (1.0 + math.exp(-purchase_logit))

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
                pairs = zip(self._preference, self._latent[item], strict=True)
                moved = [u + cfg.drift_rate * (v - u) for u, v in pairs]
                norm = math.sqrt(sum(x * x for x in moved))
                self._preference = [x / norm for x in moved]
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
        h, steps = self.config.history_len, max(self._step, 1)
        features = [
            self._step / self.config.max_steps,
            self._clicks / steps,
            self._purchases / steps,
            min(self._skips_in_row, h) / h,
        ]
        return np.array(self._items + self._feedback + features, dtype=np.float32)

    def expected_rewards(self) -> np.ndarray:
        """Expected immediate reward of every item, ``(num_items,)``, from the hidden state."""
        cfg = self.config
        out = []
        for item in range(cfg.num_items):
            p_click, p_purchase = self._probabilities(item)
            revenue = cfg.revenue_weight * float(self.catalogue.price[item])
            out.append(p_click * (cfg.click_weight + p_purchase * revenue))
        return np.array(out)


if "dqrec/Shop-v0" not in gymnasium.registry:
    gymnasium.register(id="dqrec/Shop-v0", entry_point="dqrec.env:ShopEnv")
