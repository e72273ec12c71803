"""A simulator calibrated from a small synthetic purchase log."""

import numpy as np
import pandas as pd

from dqrec.baselines import RandomPolicy
from dqrec.calibrate import calibrate, evaluate_in_env, gini, kmeans, validation_table
from dqrec.envs import Catalogue, ShopConfig, ShopEnv, VecShopEnv


def synthetic_log(num_customers=60, num_codes=25, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for customer in range(num_customers):
        taste = rng.integers(0, 2)  # two groups of customers buying two groups of items
        for invoice in range(rng.integers(1, 4)):
            day = pd.Timestamp("2011-01-03") + pd.Timedelta(days=int(rng.integers(0, 300)))
            for _ in range(rng.integers(1, 8)):
                code = 10000 + 2 * rng.integers(0, num_codes // 2) + taste
                rows.append(
                    (
                        f"{customer}{invoice}",
                        f"{code}",
                        int(rng.integers(1, 5)),
                        day,
                        float(rng.choice([0.5, 1.0, 2.5, 8.0])),
                        customer,
                    )
                )
    return pd.DataFrame(
        rows,
        columns=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
    )


def test_calibration_returns_a_valid_config_and_catalogue():
    log = synthetic_log()
    config, catalogue = calibrate(
        log, top_n=10, latent_dim=4, num_categories=3, num_fit_shoppers=50
    )
    assert isinstance(config, ShopConfig) and isinstance(catalogue, Catalogue)
    assert config.num_items == 10 and config.latent_dim == 4 and config.num_categories == 3
    assert catalogue.latent.shape == (10, 4)
    np.testing.assert_allclose(np.linalg.norm(catalogue.latent, axis=1), 1.0, atol=1e-9)
    assert set(catalogue.category) <= {0, 1, 2}
    assert np.all((catalogue.price >= config.price_min) & (catalogue.price <= config.price_max))
    assert not catalogue.is_clickbait.any()
    assert 0 < config.patience_min <= config.patience_max and config.max_steps >= 1
    # the most purchased item has the largest appeal
    assert np.argmax(catalogue.appeal) == 0


def test_injected_catalogue_runs_and_default_is_unchanged():
    config, catalogue = calibrate(
        synthetic_log(), top_n=10, latent_dim=4, num_categories=3, num_fit_shoppers=50
    )
    env = VecShopEnv(config, num_envs=8, seed=1, catalogue=catalogue)
    assert env.catalogue is catalogue
    obs, _ = env.reset(seed=1)
    for _ in range(30):
        obs, rewards, terminated, truncated, _ = env.step(np.arange(8) % config.num_items)
    assert obs.shape == (8, config.obs_dim) and np.isfinite(rewards).all()
    single = ShopEnv(config, shopper_index=0, catalogue=catalogue)
    single.reset(seed=1)
    assert single.catalogue is catalogue
    # the shoppers react to the injected catalogue, not to the one the config would generate
    injected = VecShopEnv(config, num_envs=8, seed=1, catalogue=catalogue)
    generated = VecShopEnv(config, num_envs=8, seed=1)
    injected.reset(seed=1), generated.reset(seed=1)
    assert not np.allclose(injected.expected_rewards(), generated.expected_rewards())
    # the default shop's catalogue is unchanged: numbers pinned from ShopConfig() (seed 0)
    default = VecShopEnv(ShopConfig(), num_envs=2).catalogue
    np.testing.assert_allclose(default.price[:3], [0.70725598, 0.59725736, 0.33083473], rtol=1e-7)
    np.testing.assert_array_equal(np.flatnonzero(default.is_clickbait), [13, 14, 18, 28, 30])
    np.testing.assert_array_equal(default.category[:6], [0, 1, 2, 3, 4, 0])
    result = evaluate_in_env(RandomPolicy(config.num_items), config, catalogue, 20, seed=3)
    assert result["session_length"] >= 1


def test_validation_table_and_helpers():
    log = synthetic_log()
    train, test = log[log["InvoiceDate"] < "2011-08-01"], log[log["InvoiceDate"] >= "2011-08-01"]
    config, catalogue = calibrate(
        train, top_n=10, latent_dim=4, num_categories=3, num_fit_shoppers=50
    )
    table, real_sizes, sim_lengths = validation_table(config, catalogue, train, test, 50)
    assert list(table.columns) == ["real (held-out)", "simulated"]
    assert np.isfinite(table.to_numpy()).all() and len(sim_lengths) == 50
    assert gini([1, 1, 1, 1]) == 0.0 and abs(gini([0, 0, 0, 4]) - 0.75) < 1e-12
    points = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    labels = kmeans(points, 2)
    assert labels[0] == labels[1] != labels[2] == labels[3]
