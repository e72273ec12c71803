"""A small real sample of UCI Online Retail, committed with the package, so that tests and quick
runs work on a fresh clone with no download and no local copy of the full data.

The sample keeps every row (in file order, text unchanged) of a random ``fraction`` of the
customers and of the invoices without a customer, so it has the full table's quirks:
cancellations, missing customers, service codes, duplicates, zero prices. It was made by
``make_sample(full_path, SAMPLE_PATH)`` with the defaults below; provenance and licence are in
``dqrec/data/samples/README.md``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from dqrec.data.retail import RETAIL_COLUMNS

SAMPLE_PATH = Path(__file__).resolve().parent / "samples" / "online_retail_sample.csv.gz"
SAMPLE_FRACTION = 0.04
SAMPLE_SEED = 0


def sample_data_path() -> Path:
    """The committed sample (23,976 rows of UCI Online Retail, CC BY 4.0)."""
    return SAMPLE_PATH


def make_sample(full_path, out_path, fraction: float = SAMPLE_FRACTION, seed: int = SAMPLE_SEED):
    """Write the rows of a random ``fraction`` of customers (and of customer-less invoices)."""
    raw = pd.read_csv(full_path, dtype=str, keep_default_na=False, encoding="utf-8")
    gen = np.random.default_rng(seed)
    customers = np.sort(raw.loc[raw["CustomerID"] != "", "CustomerID"].unique())
    anonymous = np.sort(raw.loc[raw["CustomerID"] == "", "InvoiceNo"].unique())
    keep_customers = gen.choice(customers, round(fraction * len(customers)), replace=False)
    keep_invoices = gen.choice(anonymous, round(fraction * len(anonymous)), replace=False)
    keep = raw["CustomerID"].isin(keep_customers) | (
        (raw["CustomerID"] == "") & raw["InvoiceNo"].isin(keep_invoices)
    )
    sample = raw.loc[keep, list(RETAIL_COLUMNS)]
    sample.to_csv(out_path, index=False, compression={"method": "gzip", "mtime": 0})
    return len(sample)
