"""Ranking metrics and mean_ci against numbers worked out by hand."""

import math

import numpy as np
import pytest

from dqrec import metrics

# One ranked list used throughout: relevant items {1, 5, 9}; hits at ranks 2 and 4.
RANKED = [3, 1, 4, 5, 7]
RELEVANT = {1, 5, 9}


def test_precision_recall_f1():
    # top-4 = [3, 1, 4, 5]: hits 1 and 5 -> precision 2/4 = 0.5, recall 2/3
    assert metrics.precision_at_k(RANKED, RELEVANT, 4) == pytest.approx(0.5)
    assert metrics.recall_at_k(RANKED, RELEVANT, 4) == pytest.approx(2 / 3)
    # F1 = 2 * 0.5 * (2/3) / (0.5 + 2/3) = (2/3) / (7/6) = 4/7
    assert metrics.f1_at_k(RANKED, RELEVANT, 4) == pytest.approx(4 / 7)
    # top-1 = [3]: no hit -> F1 = 0 (not nan)
    assert metrics.f1_at_k(RANKED, RELEVANT, 1) == 0.0


def test_k_longer_than_list_divides_by_k():
    # k = 10 but only 5 recommended: 2 hits / 10 = 0.2; recall 2/3
    assert metrics.precision_at_k(RANKED, RELEVANT, 10) == pytest.approx(0.2)
    assert metrics.recall_at_k(RANKED, RELEVANT, 10) == pytest.approx(2 / 3)


def test_hit_rate_and_mrr():
    assert metrics.hit_rate_at_k(RANKED, RELEVANT, 1) == 0.0  # [3]
    assert metrics.hit_rate_at_k(RANKED, RELEVANT, 2) == 1.0  # [3, 1]
    assert metrics.mrr(RANKED, RELEVANT) == pytest.approx(0.5)  # first hit at rank 2
    assert metrics.mrr(RANKED, RELEVANT, k=1) == 0.0
    assert metrics.mrr([7, 8], RELEVANT) == 0.0


def test_ndcg_by_hand():
    # k = 4: DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161
    # IDCG (3 relevant, k=4 -> 3 ideal hits) = 1 + 1/log2(3) + 1/log2(4) = 2.13093
    # NDCG = 1.06161 / 2.13093 = 0.49819
    assert metrics.ndcg_at_k(RANKED, RELEVANT, 4) == pytest.approx(0.49819, abs=1e-5)
    # k = 2: DCG = 1/log2(3) = 0.63093; IDCG = 1 + 1/log2(3) = 1.63093 -> NDCG = 0.38685
    assert metrics.ndcg_at_k(RANKED, RELEVANT, 2) == pytest.approx(0.38685, abs=1e-5)
    # perfect list -> 1; k = 2 with one relevant item at rank 1 -> IDCG = 1, DCG = 1
    assert metrics.ndcg_at_k([9, 1, 5], RELEVANT, 3) == pytest.approx(1.0)
    assert metrics.ndcg_at_k([2, 7], {2}, 2) == pytest.approx(1.0)


def test_no_relevant_items_gives_nan_and_mean_skips_them():
    for fn in (
        metrics.precision_at_k,
        metrics.recall_at_k,
        metrics.f1_at_k,
        metrics.hit_rate_at_k,
        metrics.ndcg_at_k,
        metrics.mrr,
    ):
        assert math.isnan(fn(RANKED, set(), 3))
    # user 1: top-2 [3, 1] vs {1,5,9}: precision 0.5; user 2: [2, 7] vs {2}: precision 0.5
    # user 3 has no relevant item and is skipped -> mean precision 0.5 over 2 users
    result = metrics.mean_ranking_metrics([RANKED, [2, 7], [1]], [RELEVANT, {2}, set()], k=2)
    assert result["num_users"] == 2
    assert result["precision"] == pytest.approx(0.5)
    # recall: 1/3 and 1/1 -> mean 2/3
    assert result["recall"] == pytest.approx(2 / 3)


def test_repeated_item_is_an_error():
    with pytest.raises(ValueError, match="repeats"):
        metrics.precision_at_k([1, 1, 2], {1}, 3)


def test_catalogue_coverage_and_top_k():
    # union {0, 1, 2, 5} out of 10 items = 0.4
    assert metrics.catalogue_coverage([[0, 1], [1, 2], [5]], 10) == pytest.approx(0.4)
    # ties go to the lower index; excluded ids are never returned
    np.testing.assert_array_equal(metrics.top_k([0.5, 2.0, 2.0, 1.0], 3), [1, 2, 3])
    np.testing.assert_array_equal(metrics.top_k([0.5, 2.0, 2.0, 1.0], 3, exclude=[1]), [2, 3, 0])


@pytest.mark.parametrize(
    ("df", "confidence", "expected"),  # Student t tables (two-sided)
    [
        (1, 0.95, 12.706),
        (2, 0.95, 4.303),
        (4, 0.95, 2.776),
        (9, 0.95, 2.262),
        (30, 0.95, 2.042),
        (9, 0.99, 3.250),
        (1000, 0.95, 1.962),
    ],
)
def test_t_quantile_matches_tables(df, confidence, expected):
    assert metrics.t_quantile_two_sided(confidence, df) == pytest.approx(expected, abs=1e-3)


def test_mean_ci_by_hand():
    # values 1, 2, 3, 4: mean 2.5, s = sqrt(((1.5^2 + 0.5^2) * 2) / 3) = sqrt(5/3) = 1.29099
    # sem = 1.29099 / 2 = 0.645497; t_{0.975, 3} = 3.182446 -> half width 2.05426
    mean, half = metrics.mean_ci([1, 2, 3, 4])
    assert mean == pytest.approx(2.5)
    assert half == pytest.approx(2.05426, abs=1e-5)
    mean, half = metrics.mean_ci([7.0])
    assert mean == 7.0 and math.isnan(half)
    assert metrics.mean_ci([3.0, 3.0, 3.0]) == (3.0, 0.0)
    with pytest.raises(ValueError):
        metrics.mean_ci([])
