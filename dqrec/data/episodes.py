"""From events to reinforcement-learning data: episodes (one per user, in time order), the
item vocabulary that is the action space, and transitions in the simulator's observation
format (``dqrec.envs.codec``).

Canonical events are a table with columns user, item, timestamp, event, value, basket
(``dqrec.data.retail.retail_events``, ``dqrec.data.eventlog.load_event_log``); the cleaned
Online Retail table is accepted too.
"""

from typing import NamedTuple

import numpy as np
import pandas as pd

from dqrec.data.files import DataError
from dqrec.data.retail import retail_events
from dqrec.envs.codec import CLICK, PURCHASE, SKIP
from dqrec.envs.codec import session_features as encode_session_features

# Feedback code for each kind of event in an observation's history (see dqrec.envs).
FEEDBACK_CODES = {
    "impression": SKIP,
    "view": CLICK,
    "click": CLICK,
    "cart": CLICK,
    "purchase": PURCHASE,
}
# Logs have no max_steps: the step-fraction feature of a logged session saturates after this
# many events (the simulator uses ShopConfig.max_steps).
LOG_MAX_STEPS = 100


def _as_events(df: pd.DataFrame) -> pd.DataFrame:
    return retail_events(df) if "InvoiceNo" in df.columns else df


def build_episodes(events: pd.DataFrame) -> pd.DataFrame:
    """One episode per user: their events in time order, one row per step.

    Accepts the cleaned retail table or canonical events (:func:`retail_events`,
    ``dqrec.data.eventlog.load_event_log``). A basket's lines keep their order in the file, so an
    invoice is unrolled into consecutive steps; events (and baskets) with equal timestamps keep
    their order in the input. Logs without a clock (``timestamp`` all NaT) are taken in input
    order within each user. Adds ``step`` (0-based within the user),
    ``basket_index`` (0-based), ``line_in_basket`` and ``last`` (the user's final step).
    """
    events = _as_events(events)
    line = np.arange(len(events))
    # Equal timestamps keep the file order: a basket sorts by its first line (not by its id as
    # text, which put row 10 before row 2), then lines by their position in the input.
    first_line = (
        pd.Series(line)
        .groupby([events["user"].to_numpy(), events["basket"].to_numpy()], sort=False, dropna=False)
        .transform("min")
    )
    events = events.assign(_line=line, _basket_line=first_line.to_numpy())
    events = events.sort_values(["user", "timestamp", "_basket_line", "_line"], kind="stable")
    events = events.drop(columns=["_line", "_basket_line"])
    events = events.reset_index(drop=True)
    by_user = events.groupby("user", sort=False)
    user_changed = events["user"] != events["user"].shift()
    new_basket = (events["basket"] != events["basket"].shift()) | user_changed
    events["step"] = by_user.cumcount()
    events["basket_index"] = new_basket.astype(int).groupby(events["user"]).cumsum() - 1
    events["line_in_basket"] = events.groupby(["user", "basket_index"]).cumcount()
    events["last"] = events["user"] != events["user"].shift(-1)
    return events


class ItemVocabulary:
    """The action space: the ``top_n`` most purchased items (index 0 = most purchased) and
    one "other" bucket (index ``top_n``) for the long tail. ``num_items = top_n + 1``, so the
    padding id in observations is ``num_items`` as in the simulator."""

    def __init__(self, items, counts):
        self.items = np.asarray(items, dtype=object)  # (top_n,) item codes
        self.counts = np.asarray(counts, dtype=np.int64)  # (top_n,) purchases per item
        self._index = pd.Index(self.items)

    @classmethod
    def from_events(cls, events: pd.DataFrame, top_n: int) -> "ItemVocabulary":
        """Rank items by number of purchase events (all events if the log has no purchase)."""
        events = _as_events(events)
        purchases = events[events["event"] == "purchase"]
        counts = (purchases if len(purchases) else events)["item"].value_counts()
        counts = counts.sort_index().sort_values(ascending=False, kind="stable")  # ties by code
        return cls(counts.index[:top_n], counts.to_numpy()[:top_n])

    @property
    def other(self) -> int:
        return len(self.items)

    @property
    def num_items(self) -> int:
        return len(self.items) + 1

    def encode(self, codes) -> np.ndarray:
        """Item codes -> action ids; codes outside the catalogue map to the "other" bucket."""
        ids = self._index.get_indexer(pd.Index(codes))
        return np.where(ids < 0, self.other, ids).astype(np.int64)


class Transitions(NamedTuple):
    obs: np.ndarray  # (n, 2 * history_len + NUM_SESSION_FEATURES) float32
    action: np.ndarray  # (n,) int64 catalogue id of the purchased item
    reward: np.ndarray  # (n,) float32
    next_obs: np.ndarray  # (n, obs_dim) float32
    terminated: np.ndarray  # (n,) bool: the user's last purchase
    user: np.ndarray  # (n,) user id, to group steps into episodes


def session_features(
    episodes: pd.DataFrame, history_len: int, after: bool = False, max_steps: int = LOG_MAX_STEPS
) -> np.ndarray:
    """The simulator's session features (``dqrec.envs.codec.session_features``) of each logged
    step ``(n, NUM_SESSION_FEATURES)``, from the log before the step (or just after it with
    ``after=True``). A purchase counts as a click, as in the simulator."""
    user = episodes["user"].to_numpy()
    feedback = episodes["event"].map(FEEDBACK_CODES).fillna(PURCHASE).to_numpy()
    own = np.stack([feedback >= CLICK, feedback == PURCHASE], axis=1).astype(float)  # (n, 2)
    counts = pd.DataFrame(own).groupby(user).cumsum().to_numpy()  # (n, 2) including this step
    skip = pd.Series(feedback == SKIP)
    run_id = (~skip).groupby(user).cumsum()  # a new run starts after each non-skip
    skips_in_row = skip.astype(int).groupby([user, run_id.to_numpy()]).cumsum().to_numpy()
    done = episodes["step"].to_numpy() + 1  # steps done after this one
    if not after:  # the state before the step: remove the step's own contribution
        counts, done = counts - own, done - 1
        previous = np.concatenate([[0], skips_in_row[:-1]])
        skips_in_row = np.where(done > 0, previous, 0)
    features = encode_session_features(
        done, counts[:, 0], counts[:, 1], skips_in_row, history_len, max_steps
    )
    return features.astype(np.float32)  # (n, NUM_SESSION_FEATURES)


def _history(item_ids, feedback, step, ends_at, history_len, pad_id):
    """Items and feedback of steps ``ends_at - H .. ends_at - 1`` of the same user, oldest first."""
    offsets = np.arange(history_len) - history_len  # (H,) = -H .. -1
    rows = ends_at[:, None] + offsets  # (n, H) global row of each history slot
    first_row = np.arange(len(step)) - step  # the user's first row: older rows are another user's
    valid = rows >= first_row[:, None]
    rows = np.clip(rows, 0, len(item_ids) - 1)
    items = np.where(valid, item_ids[rows], pad_id)  # padding id = num_items
    codes = np.where(valid, feedback[rows], 0)  # 0 = padding feedback
    return items, codes


def to_transitions(
    episodes,
    catalogue: ItemVocabulary,
    history_len: int,
    start_time=None,
    event_rewards=None,
    value_transform=np.log1p,
) -> Transitions:
    """(obs, action, reward, next_obs, terminated) in the simulator's observation format.

    One step = one event (for retail: one purchased line). ``obs`` holds the last
    ``history_len`` items before the step with their feedback codes (purchase = 3), then
    :func:`session_features`; ``next_obs`` includes the step itself. Reward =
    ``event_rewards[event] + value_transform(value)``; for retail ``log1p(line revenue in
    GBP)``, which tames the heavy tail of wholesale orders. ``terminated`` is True at the
    user's last event. Steps before ``start_time`` are context only (history, no transition).
    """
    episodes = _as_events(episodes)
    if "step" not in episodes.columns:
        episodes = build_episodes(episodes)
    item_ids = catalogue.encode(episodes["item"])  # (n,)
    feedback = episodes["event"].map(FEEDBACK_CODES).fillna(PURCHASE).to_numpy(np.int64)
    step = episodes["step"].to_numpy()
    here = np.arange(len(episodes))
    items, codes = _history(item_ids, feedback, step, here, history_len, catalogue.num_items)
    next_items, next_codes = _history(
        item_ids, feedback, step, here + 1, history_len, catalogue.num_items
    )
    features = session_features(episodes, history_len)
    next_features = session_features(episodes, history_len, after=True)
    obs = np.concatenate([items, codes, features], axis=1).astype(np.float32)
    next_obs = np.concatenate([next_items, next_codes, next_features], axis=1).astype(np.float32)
    weights = episodes["event"].map(event_rewards or {}).fillna(0.0).to_numpy(float)
    values = episodes["value"].to_numpy(float)
    with np.errstate(all="ignore"):  # checked just below
        reward = (weights + value_transform(values)).astype(np.float32)
    bad = ~np.isfinite(reward)
    if bad.any():  # e.g. log1p of a negative value: NaN rewards would poison every update
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"event {row} (user {episodes['user'].iloc[row]}, item "
            f"{episodes['item'].iloc[row]}): value {float(values[row])!r} gives the reward "
            f"{float(reward[row])!r}; rewards must be finite (log1p needs value > -1)"
        )
    keep = np.ones(len(episodes), bool)  # steps before start_time are context only
    if start_time is not None:
        keep = (episodes["timestamp"] >= pd.Timestamp(start_time)).to_numpy()
    return Transitions(
        obs[keep],
        item_ids[keep],
        reward[keep],
        next_obs[keep],
        episodes["last"].to_numpy()[keep],
        episodes["user"].to_numpy()[keep],
    )


def time_split(df: pd.DataFrame, cutoff) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train = rows strictly before ``cutoff``, test = rows at or after it.

    Fit everything (catalogue, popularity, co-purchase, networks) on train only. To evaluate
    test users with their past as context, build episodes from train + test and call
    ``to_transitions(..., start_time=cutoff)``: only train-time events precede the first
    test step, so nothing from the future leaks into a context.
    """
    column = "InvoiceDate" if "InvoiceDate" in df.columns else "timestamp"
    if df[column].isna().any():
        raise DataError(
            f"time_split: {int(df[column].isna().sum())} of {len(df)} rows have no time "
            f"(column {column!r} is NaT: a log loaded without a clock); split by position "
            "within each user instead"
        )
    before = (df[column] < pd.Timestamp(cutoff)).to_numpy()
    return df[before].reset_index(drop=True), df[~before].reset_index(drop=True)
