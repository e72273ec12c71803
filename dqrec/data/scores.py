"""Two non-learning baselines fitted on logged purchases: popularity and co-purchase."""

import numpy as np
import pandas as pd

from dqrec.data.episodes import ItemVocabulary, _as_events


def popularity_scores(train: pd.DataFrame, catalogue: ItemVocabulary) -> np.ndarray:
    """(num_items,) number of purchase events per catalogue id ("other" = the whole tail)."""
    ids = catalogue.encode(_as_events(train)["item"])
    return np.bincount(ids, minlength=catalogue.num_items).astype(float)


def copurchase_scores(train: pd.DataFrame, catalogue: ItemVocabulary) -> np.ndarray:
    """(num_items, num_items) ``C[i, j]`` = number of baskets holding both i and j (diag 0).

    Score items for a user by summing the rows of the items in their context:
    ``scores = C[context_ids].sum(axis=0)``.
    """
    events = _as_events(train)
    baskets = pd.factorize(events["user"].astype(str) + "|" + events["basket"].astype(str))[0]
    incidence = np.zeros((baskets.max() + 1, catalogue.num_items), dtype=np.float32)
    incidence[baskets, catalogue.encode(events["item"])] = 1.0  # (num_baskets, num_items)
    counts = incidence.T @ incidence  # (num_items, num_items) baskets sharing both items
    np.fill_diagonal(counts, 0.0)
    return counts.astype(np.float64)
