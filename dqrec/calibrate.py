"""A shop simulator calibrated from real purchase logs, and a check of how well it fits.

``calibrate(clean_train, top_n)`` returns ``(ShopConfig, dqrec.envs.Catalogue)`` whose item i is
item i of ``dqrec.data.ItemVocabulary.from_events(clean_train, top_n)`` (the i-th most purchased).
Inject the catalogue with ``VecShopEnv(config, num_envs, catalogue=catalogue)``. Each piece:

* **latent vectors**: the customer x item purchase-count matrix of the top-N items, ``log1p``,
  each customer row scaled to unit length (heavy wholesale buyers do not dominate), columns
  centred; truncated SVD ``X = U S V^T`` (``numpy.linalg.svd``); item i's vector is row i of
  ``V[:, :d] S[:d]``, normalised to unit length as the simulator requires. Items bought by the
  same customers point the same way.
* **categories**: k-means (Lloyd's algorithm, k-means++ start) on those unit vectors.
* **prices**: median unit price (GBP) per item, mapped log-linearly onto ``[price_min,
  price_max]`` of the simulator (cheapest item -> price_min, dearest -> price_max).
* **appeal**: ``appeal_std * z`` with ``z`` the standardised log purchase count: popular
  items are clicked more whatever the shopper's taste.
* **satisfaction**: an assumption, not a measurement: the share of an item's customers who
  bought it again on a later invoice, min-max scaled to ``[0, satisfaction_max]``.
* **clickbait**: none. Logs of purchases cannot reveal disappointing clicks.
* **session length**: the log has no page views, so one simulated step is read as one invoice
  line. We measure the mean patience drain per step ``d`` of a browsing shopper (the
  ``PopularitySamplingPolicy``) in the calibrated shop, then set ``patience_min = d * q10``,
  ``patience_max = d * q90`` (q = quantiles of lines per invoice), ``passive_drain = d`` and
  ``max_steps = q99``: a drain of ``d`` per step then ends sessions between about q10 and q90
  steps. ``validation_table`` shows how close that gets.
"""

import dataclasses
import math

import numpy as np
import pandas as pd

from dqrec import envs as shop
from dqrec.data import ItemVocabulary
from dqrec.evaluate import evaluate_policy
from dqrec.policy import Policy
from dqrec.rollout import rollout, run_sessions
from dqrec.seeds import EVAL_SEED


def purchase_matrix(clean: pd.DataFrame, catalogue: ItemVocabulary) -> np.ndarray:
    """``(num_customers, top_n)`` number of invoice lines of each catalogue item per customer."""
    ids = catalogue.encode(clean["StockCode"])
    keep = ids != catalogue.other
    customers = pd.factorize(clean["CustomerID"].to_numpy()[keep])[0]
    counts = np.zeros((customers.max() + 1, catalogue.other))
    np.add.at(counts, (customers, ids[keep]), 1.0)
    return counts


def item_vectors(counts: np.ndarray, latent_dim: int) -> np.ndarray:
    """Unit item vectors ``(num_items, latent_dim)`` from a truncated SVD (module docstring)."""
    x = np.log1p(counts)  # (customers, items)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)  # one unit per customer
    x = x - x.mean(axis=0)  # centre items, so the first factor is taste, not overall popularity
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    vectors = vt[:latent_dim].T * s[:latent_dim]  # (items, d)
    vectors += 1e-9  # an item no customer bought would otherwise have length 0
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def kmeans(points: np.ndarray, k: int, seed: int = 0, iterations: int = 50) -> np.ndarray:
    """Cluster labels ``(n,)`` by Lloyd's algorithm from a k-means++ start (deterministic)."""
    rng = np.random.default_rng(seed)
    centres = points[[rng.integers(len(points))]]
    while len(centres) < k:  # k-means++: new centres far from the chosen ones
        d2 = ((points[:, None] - centres[None]) ** 2).sum(-1).min(axis=1)
        centres = np.vstack([centres, points[rng.choice(len(points), p=d2 / d2.sum())]])
    for _ in range(iterations):
        labels = ((points[:, None] - centres[None]) ** 2).sum(-1).argmin(axis=1)  # (n,)
        for c in range(k):
            if np.any(labels == c):
                centres[c] = points[labels == c].mean(axis=0)
    return labels.astype(np.int64)


def median_prices(clean: pd.DataFrame, catalogue: ItemVocabulary) -> np.ndarray:
    """``(top_n,)`` median unit price in GBP of each catalogue item."""
    ids = catalogue.encode(clean["StockCode"])
    prices = pd.Series(clean["UnitPrice"].to_numpy()).groupby(ids).median()
    return prices.reindex(range(catalogue.other)).fillna(prices.median()).to_numpy()


def repurchase_rate(clean: pd.DataFrame, catalogue: ItemVocabulary) -> np.ndarray:
    """``(top_n,)`` share of each item's customers who bought it on two or more invoices."""
    ids = catalogue.encode(clean["StockCode"])
    df = pd.DataFrame(
        {
            "item": ids,
            "user": clean["CustomerID"].to_numpy(),
            "basket": clean["InvoiceNo"].to_numpy(),
        }
    )
    invoices = df[df["item"] != catalogue.other].groupby(["item", "user"])["basket"].nunique()
    rate = (invoices >= 2).groupby(level="item").mean()
    return rate.reindex(range(catalogue.other)).fillna(0.0).to_numpy()


def invoice_sizes(clean: pd.DataFrame) -> np.ndarray:
    """Number of lines of every invoice."""
    return clean.groupby("InvoiceNo").size().to_numpy()


class PopularitySamplingPolicy:
    """A browsing shopper's stand-in for the unknown logging policy: show item i with
    probability proportional to its purchase count (bestsellers are seen more)."""

    def __init__(self, popularity, seed: int = 0):
        popularity = np.asarray(popularity, float)
        self.probs = popularity / popularity.sum()
        self.rng = np.random.default_rng(seed)

    def act(self, obs, env=None):
        return self.rng.choice(len(self.probs), size=len(obs), p=self.probs)


def _scale(x, low, high):
    span = x.max() - x.min()
    return low + (high - low) * ((x - x.min()) / span if span > 0 else np.full_like(x, 0.5))


def calibrate(
    clean_train: pd.DataFrame,
    top_n: int,
    base: shop.ShopConfig | None = None,
    latent_dim: int = 8,
    num_categories: int = 10,
    seed: int = 0,
    num_fit_shoppers: int = 500,
) -> tuple[shop.ShopConfig, shop.Catalogue]:
    """``(ShopConfig, Catalogue)`` fitted to cleaned retail rows (see the module docstring).

    ``base`` provides every behavioural knob that the logs cannot identify (click and
    purchase biases, costs, drift); its sizes and patience are replaced.
    """
    base = shop.ShopConfig() if base is None else base
    log_catalogue = ItemVocabulary.from_events(clean_train, top_n)
    n = log_catalogue.other  # may be < top_n for a small log
    vectors = item_vectors(purchase_matrix(clean_train, log_catalogue), latent_dim)
    num_categories = min(num_categories, n)
    category = kmeans(vectors, num_categories, seed)
    log_price = np.log(median_prices(clean_train, log_catalogue))
    price = _scale(log_price, base.price_min, base.price_max)
    log_count = np.log(log_catalogue.counts.astype(float))
    z = (log_count - log_count.mean()) / max(log_count.std(), 1e-12)
    appeal = base.appeal_std * z
    satisfaction = _scale(repurchase_rate(clean_train, log_catalogue), 0.0, base.satisfaction_max)
    config = dataclasses.replace(
        base,
        num_items=n,
        num_categories=num_categories,
        latent_dim=latent_dim,
        clickbait_fraction=0.0,
    )
    arrays = (vectors, category, price, appeal, satisfaction, np.zeros(n, bool))
    for array in arrays:
        array.setflags(write=False)
    catalogue = shop.Catalogue(*arrays)

    sizes = invoice_sizes(clean_train)
    q10, q90, q99 = np.quantile(sizes, [0.1, 0.9, 0.99])
    drain = mean_patience_drain(
        config,
        catalogue,
        log_catalogue.counts,
        num_fit_shoppers,
        steps=int(np.median(sizes)),
        seed=seed,
    )
    config = dataclasses.replace(
        config,
        patience_min=float(drain * max(q10, 1.0)),
        patience_max=float(drain * q90),
        passive_drain=float(drain),
        max_steps=int(math.ceil(q99)),
    )
    return config, catalogue


def mean_patience_drain(config, catalogue, popularity, num_shoppers, steps, seed=0) -> float:
    """Mean patience lost per step by browsing shoppers whose patience never runs out.

    Their sessions are capped at ``steps + 1`` steps; the hidden patience is read after step
    ``steps``, before the cap ends every session (and the rows reset to new shoppers).
    """
    endless = dataclasses.replace(config, patience_min=1e6, patience_max=1e6, max_steps=steps + 1)
    env = shop.VecShopEnv(endless, num_shoppers, seed=seed, catalogue=catalogue)
    obs, _ = env.reset(seed=seed)
    lost = np.zeros(num_shoppers)

    def read_patience(step):
        if step.t == steps - 1:
            lost[:] = 1e6 - step.env.get_state()["patience"]  # (num_shoppers,)

    run_sessions(PopularitySamplingPolicy(popularity, seed), env, obs, read_patience)
    return max(float(lost.mean()) / steps, 1e-3)


def evaluate_in_env(policy: Policy, config, catalogue, num_shoppers=500, seed=EVAL_SEED) -> dict:
    """``dqrec.evaluate.evaluate_policy`` on the simulator with an injected catalogue (the
    same fixed shoppers, common random numbers, for every policy), as a dict."""
    return evaluate_policy(policy, config, num_shoppers, seed, catalogue).to_dict()


def gini(counts) -> float:
    """Gini coefficient of non-negative counts: 0 = all equal, near 1 = all on one item."""
    x = np.sort(np.asarray(counts, float))
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def top_share(counts, fraction=0.1) -> float:
    """Share of all purchases that fall on the most purchased ``fraction`` of the items."""
    x = np.sort(np.asarray(counts, float))[::-1]
    return float(x[: max(1, round(fraction * len(x)))].sum() / x.sum())


def validation_table(config, catalogue, clean_train, clean_test, num_shoppers=1000, seed=0):
    """Simulated browsing sessions (``PopularitySamplingPolicy``) against held-out real logs.

    ``clean_train`` is what ``calibrate`` saw (it defines the items, their popularity and GBP
    prices); ``clean_test`` holds later rows it never saw. One real session = one invoice,
    one real purchase = one invoice line of a catalogue item. Simulated prices are mapped
    back to GBP through each item's real median price. Returns one row per statistic.
    """
    log_catalogue = ItemVocabulary.from_events(clean_train, config.num_items)
    gbp = median_prices(clean_train, log_catalogue)
    policy = PopularitySamplingPolicy(log_catalogue.counts, seed)
    sim = rollout(policy, config, num_shoppers, seed, catalogue)
    sizes = invoice_sizes(clean_test)
    ids = log_catalogue.encode(clean_test["StockCode"])
    in_catalogue = ids != log_catalogue.other
    real_counts = np.bincount(ids[in_catalogue], minlength=config.num_items)
    sim_counts = np.bincount(sim.bought, minlength=config.num_items)
    real_prices = clean_test["UnitPrice"].to_numpy()[in_catalogue]
    sim_prices = gbp[sim.bought]
    rows = {
        "session length: mean [lines or steps]": (sizes.mean(), sim.lengths.mean()),
        "session length: median [lines or steps]": (np.median(sizes), np.median(sim.lengths)),
        "session length: 90th percentile": (
            np.quantile(sizes, 0.9),
            np.quantile(sim.lengths, 0.9),
        ),
        "purchases per session (catalogue items)": (
            in_catalogue.sum() / len(sizes),
            sim.purchases.mean(),
        ),
        "item popularity Gini": (gini(real_counts), gini(sim_counts)),
        "share of purchases on top 10% items": (top_share(real_counts), top_share(sim_counts)),
        "purchase price: median [GBP]": (np.median(real_prices), np.median(sim_prices)),
        "purchase price: mean [GBP]": (real_prices.mean(), sim_prices.mean()),
    }
    table = pd.DataFrame(rows, index=["real (held-out)", "simulated"]).T
    table.index.name = "statistic"
    return table, sizes, sim.lengths
