"""The observation codec: the one definition of feedback codes and session features.

An observation is a float32 row of ``obs_dim = 2 * history_len + NUM_SESSION_FEATURES``:
the ids of the last ``history_len`` recommended items (oldest first, padded with id
``num_items``), their feedback codes (``PAD_FEEDBACK``, ``SKIP``, ``CLICK``, ``PURCHASE``),
then the session features, all in [0, 1]::

    steps / max_steps,  clicks / steps,  purchases / steps,  min(skips in a row, H) / H

(``steps`` counts the recommendations so far, at least 1 in the ratios; a purchase counts as a
click). The simulator (``VecShopEnv``, ``ShopEnv``), real logs (``dqrec.data``) and
``dqrec recommend`` all encode through this module; ``dqrec.serving.session_features`` is its
TensorFlow twin inside an exported graph, tested against it.

NumPy only: ``dqrec.config`` reads ``NUM_SESSION_FEATURES`` from here.
"""

import numpy as np

PAD_FEEDBACK, SKIP, CLICK, PURCHASE = 0, 1, 2, 3  # feedback codes in the observation
NUM_FEEDBACK_CODES = 4  # PAD_FEEDBACK .. PURCHASE: the size of a feedback embedding table
FEEDBACK_WORDS = {"skip": SKIP, "click": CLICK, "purchase": PURCHASE}  # as users type them
SESSION_FEATURES = ("step_fraction", "click_rate", "purchase_rate", "skips_in_row")
NUM_SESSION_FEATURES = len(SESSION_FEATURES)


def session_features(steps, clicks, purchases, skips_in_row, history_len, max_steps):
    """The session features ``(..., NUM_SESSION_FEATURES)`` float64 from per-session counts.

    ``steps`` recommendations so far (capped at ``max_steps`` for the first feature), of which
    ``clicks`` were clicked (purchases included) and ``purchases`` bought, and the current run
    of ``skips_in_row``; every argument broadcasts (NumPy arrays or Python numbers).
    """
    steps = np.asarray(steps, np.float64)
    per_step = np.maximum(steps, 1.0)
    return np.stack(
        [
            np.minimum(steps, max_steps) / max_steps,
            np.asarray(clicks) / per_step,
            np.asarray(purchases) / per_step,
            np.minimum(skips_in_row, history_len) / history_len,
        ],
        axis=-1,
    )


def split_observation(
    obs: np.ndarray, history_len: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split flat observations ``(..., obs_dim)`` into item ids, feedback codes and features."""
    item_ids = obs[..., :history_len].astype(np.int32)  # (..., H), padding id = num_items
    feedback = obs[..., history_len : 2 * history_len].astype(np.int32)  # (..., H)
    features = obs[..., 2 * history_len :].astype(np.float32)  # (..., NUM_SESSION_FEATURES)
    return item_ids, feedback, features


def observation_bounds(config) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest value of each observation entry (float32 arrays of ``obs_dim``)."""
    high = np.concatenate(
        [
            np.full(config.history_len, config.num_items),  # item ids; num_items is padding
            np.full(config.history_len, PURCHASE),  # feedback codes
            np.ones(NUM_SESSION_FEATURES),  # session features are fractions
        ]
    ).astype(np.float32)
    return np.zeros_like(high), high


def observation_from_history(config, items, feedback) -> np.ndarray:
    """The observation ``(obs_dim,)`` of a shopper whose session so far is ``items`` (oldest
    first) with ``feedback`` codes (SKIP, CLICK or PURCHASE): what ``ShopEnv`` would show.

    ``config`` is a ``ShopConfig``. Used to score a real shopper's history with a trained
    Q-network (``dqrec recommend``).
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
    h = config.history_len
    skips_in_row = 0
    for code in reversed(feedback):
        if code != SKIP:
            break
        skips_in_row += 1
    features = session_features(
        len(items),
        sum(code >= CLICK for code in feedback),
        sum(code == PURCHASE for code in feedback),
        skips_in_row,
        h,
        config.max_steps,
    )
    recent, recent_feedback = items[-h:] if items else [], feedback[-h:] if feedback else []
    padding = h - len(recent)
    row = [config.num_items] * padding + recent + [PAD_FEEDBACK] * padding + recent_feedback
    return np.concatenate([np.array(row, np.float64), features]).astype(np.float32)
