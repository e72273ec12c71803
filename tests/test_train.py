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
def test_resume_on_a_gymnasium_env_equals_an_uninterrupted_run(tmp_path):
    from dqrec.train import train

    def cartpole(**changes):
        return small_config(
            env_id="CartPole-v1",
            network=NetworkConfig(encoder="mlp", hidden_units=(16,)),
            num_eval_shoppers=4,
            **changes,
        )

    uninterrupted = train(cartpole())
    assert len(uninterrupted.episode_returns) > 20  # many episodes ended and autoreset

    def crash(env_steps, history):
        if env_steps >= 1_000:
            raise Interrupted

    config = cartpole(checkpoint_dir=str(tmp_path / "run"))
    with pytest.raises(Interrupted):
        train(config, callback=crash)
    resumed = train(config)  # the envs are rebuilt by replaying their recorded actions
    assert _numbers(resumed) == _numbers(uninterrupted)
    weights = zip(
        resumed.agent.online.get_weights(), uninterrupted.agent.online.get_weights(), strict=True
    )
    for wa, wb in weights:
        np.testing.assert_array_equal(wa, wb)


def test_gym_vec_env_state_replays_to_the_same_future():
    from dqrec.envs.gym import GymVecEnv

    env = GymVecEnv("CartPole-v1", 3, seed=0)
    env.reset(seed=5)
    gen = np.random.default_rng(0)
    for _ in range(40):
        env.step(gen.integers(0, 2, 3))
    state = env.get_state()
    twin = GymVecEnv("CartPole-v1", 3, seed=0)
    twin.set_state(state)
    for _ in range(60):  # episodes end and autoreset on both alike
        actions = gen.integers(0, 2, 3)
        a, b = env.step(actions), twin.step(actions)
        for x, y in zip(a[:4], b[:4], strict=True):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(a[4]["final_obs"], b[4]["final_obs"])
    with pytest.raises(ValueError, match="expected \\(steps, 3\\)"):
        twin.set_state({"reset_seed": np.array(5), "actions": np.zeros((2, 4), np.int64)})


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

    from dqrec.compare import compare_policies
    from dqrec.envs import Catalogue
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
