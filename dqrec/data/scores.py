"""Two non-learning baselines fitted on logged events: popularity and co-purchase
(co-occurrence within a basket, or within a user's episode when the log has no baskets)."""

import numpy as np
import pandas as pd

from dqrec.data.episodes import ItemVocabulary, _as_events


def popularity_scores(train: pd.DataFrame, catalogue: ItemVocabulary) -> np.ndarray:
    """(num_items,) number of purchase events per catalogue id ("other" = the whole tail)."""
    ids = catalogue.encode(_as_events(train)["item"])
    return np.bincount(ids, minlength=catalogue.num_items).astype(float)


def copurchase_scores(train: pd.DataFrame, catalogue: ItemVocabulary) -> np.ndarray:
    """(num_items, num_items) ``C[i, j]`` = number of baskets holding both i and j (diag 0).

    A log without baskets (every basket a single event, as ``load_event_log`` gives when the
    spec names no basket column) counts co-occurrence within each user's episode (session)
    instead: ``C[i, j]`` = number of users (sessions) with both i and j. (Singleton baskets
    would give a zero matrix, and the co-purchase ranking would silently be popularity.)

    Score items for a user by summing the rows of the items in their context:
    ``scores = C[context_ids].sum(axis=0)``.
    """
    events = _as_events(train)
    user = events["user"].astype(str)
    baskets = pd.factorize(user + "|" + events["basket"].astype(str))[0]
    if len(baskets) and baskets.max() + 1 == len(baskets):  # no basket holds two events
        baskets = pd.factorize(user)[0]
    ids = catalogue.encode(events["item"])
    counts = np.zeros((catalogue.num_items, catalogue.num_items), dtype=np.float64)
    chunk = max(1, 2**24 // catalogue.num_items)  # groups per block (64 MB of incidence)
    for start in range(0, int(baskets.max(initial=-1)) + 1, chunk):
        rows = (baskets >= start) & (baskets < start + chunk)
        incidence = np.zeros((chunk, catalogue.num_items), dtype=np.float32)
        incidence[baskets[rows] - start, ids[rows]] = 1.0  # (groups, num_items)
        counts += incidence.T @ incidence  # groups sharing both items
    np.fill_diagonal(counts, 0.0)
    return counts
