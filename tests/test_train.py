"""Training: same seed, same numbers; resume after an interruption equals no interruption."""

import numpy as np
import pytest

from dqrec import checkpoint as ckpt
from dqrec.config import AgentConfig, NetworkConfig, TrainConfig
from dqrec.envs import ShopConfig


def small_config(**changes):
    config = TrainConfig(
        shop=ShopConfig(num_items=20, num_categories=4, history_len=4, max_steps=20),
        network=NetworkConfig(embedding_dim=8, hidden_units=(16,)),
        agent=AgentConfig(batch_size=32, target_period=20, jit_compile=False),
        num_envs=8,
        total_steps=1_600,
        learning_starts=200,
        train_every=16,
        gradient_steps=2,
        replay_capacity=2_000,
        epsilon_decay_steps=800,
        eval_every=400,
        num_eval_shoppers=32,
        checkpoint_every=400,
    )
    return config.replace(**changes)


def _numbers(history):
    return history.losses, history.eval_returns, history.episode_returns


@pytest.mark.slow
def test_same_seed_gives_identical_numbers():
    from dqrec.train import train

    a, b = train(small_config()), train(small_config())
    assert _numbers(a) == _numbers(b)
    for wa, wb in zip(a.agent.online.get_weights(), b.agent.online.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    c = train(small_config(seed=1))
    assert c.losses != a.losses


class Interrupted(Exception):
    pass


@pytest.mark.slow
def test_resume_after_interruption_equals_an_uninterrupted_run(tmp_path):
    from dqrec.train import train

    uninterrupted = train(small_config())

    def crash(env_steps, history):
        if env_steps >= 1_000:  # dies between the checkpoints at 800 and 1200
            raise Interrupted

    config = small_config(checkpoint_dir=str(tmp_path / "run"))
    with pytest.raises(Interrupted):
        train(config, callback=crash)
    assert ckpt.latest_checkpoint(tmp_path / "run").name == "ckpt-000000000800.npz"
    resumed = train(config)
    assert _numbers(resumed) == _numbers(uninterrupted)
    weights = zip(
        resumed.agent.online.get_weights(), uninterrupted.agent.online.get_weights(), strict=True
    )
    for wa, wb in weights:
        np.testing.assert_array_equal(wa, wb)
    assert len(ckpt.list_checkpoints(tmp_path / "run")) == config.keep_checkpoints


@pytest.mark.slow
def test_resume_refuses_a_checkpoint_of_another_config(tmp_path):
    from dqrec.train import train

    train(small_config(checkpoint_dir=str(tmp_path), total_steps=400))
    with pytest.raises(ckpt.CheckpointError, match="different config.*seed"):
        train(small_config(checkpoint_dir=str(tmp_path), total_steps=400, seed=5))


@pytest.mark.slow
def test_history_and_tensorboard(tmp_path):
    from dqrec.train import train

    history = train(small_config(total_steps=800, tensorboard_dir=str(tmp_path / "tb")))
    assert history.eval_steps == [400, 800]
    assert set(history.final_eval) >= {"mean_return", "return_ci", "ctr", "conversion"}
    assert any((tmp_path / "tb").iterdir())
    assert "agent" not in history.to_dict()


@pytest.mark.slow
def test_training_and_evaluation_accept_a_custom_catalogue():
    import dataclasses

    from dqrec.envs import Catalogue
    from dqrec.runs import compare_policies
    from dqrec.train import train

    config = small_config(total_steps=400, eval_every=0)
    base = Catalogue.from_config(config.shop)
    cheap = dataclasses.replace(base, price=base.price * 0.01)  # nearly free items: tiny rewards
    history = train(config, catalogue=cheap)
    results = compare_policies({"dqn": history.agent}, config.shop, 32, seed=5, catalogue=cheap)
    normal = compare_policies({"dqn": history.agent}, config.shop, 32, seed=5)
    assert (
        results["oracle (myopic, sees latent)"].revenue
        < normal["oracle (myopic, sees latent)"].revenue
    )
