"""Any Gymnasium environment as the training loop's vector env, resumable from a checkpoint.

``GymVecEnv(env_id, num_envs, seed)`` wraps ``gymnasium.make_vec`` with same-step autoreset
and gives what ``dqrec.train`` expects of an env: float32 observations and a dense
``info["final_obs"]`` (the true last observation of a finished episode, not the autoreset
one), like ``VecShopEnv``.

Its state for a checkpoint is not the environments' internals (Gymnasium has no general way
to read or set them, and a pickled env would run code when loaded) but their history: the seed
of the last ``reset`` and every action since. ``set_state`` resets with that seed and replays
the actions. A Gymnasium environment is deterministic given its seed and actions (its own
random generator is seeded by ``reset``), so the replayed environments are in exactly the
state they were; restoring costs one replay of the run so far (CartPole: about 10^5 steps/s).
"""

import gymnasium
import numpy as np


class GymVecEnv:
    """A Gymnasium vector env with same-step autoreset, dense ``final_obs`` and a state."""

    def __init__(self, env_id, num_envs, seed):
        mode = gymnasium.vector.AutoresetMode.SAME_STEP
        self.env = gymnasium.make_vec(
            env_id,
            num_envs=num_envs,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": mode},
        )
        self.seed, self.num_envs = seed, num_envs
        self.single_action_space = self.env.single_action_space
        self.single_observation_space = self.env.single_observation_space
        self._reset_seed = None  # the seed of the last reset
        self._actions = []  # every action since that reset, one (num_envs,) row per step

    def reset(self, seed=None):
        obs, info = self.env.reset(seed=seed)
        self._reset_seed, self._actions = seed, []
        return np.asarray(obs, np.float32), info

    def step(self, actions):
        actions = np.asarray(actions)
        obs, rewards, terminated, truncated, info = self.env.step(actions)
        self._actions.append(actions.copy())
        obs = np.asarray(obs, np.float32)
        final_obs = obs.copy()
        if "_final_obs" in info:
            for i in np.flatnonzero(info["_final_obs"]):
                final_obs[i] = info["final_obs"][i]
        info = {"final_obs": final_obs}
        return obs, np.asarray(rewards, np.float32), terminated, truncated, info

    def get_state(self) -> dict[str, np.ndarray]:
        """The reset seed and the actions since (arrays only: nothing is pickled)."""
        if self._reset_seed is None:
            raise ValueError("GymVecEnv.get_state needs a reset(seed=...) to replay from")
        shape = (len(self._actions), self.num_envs)
        actions = np.stack(self._actions) if self._actions else np.zeros(shape, np.int64)
        return {"reset_seed": np.array(self._reset_seed, np.int64), "actions": actions}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Reset with the saved seed and replay the saved actions."""
        actions = np.asarray(state["actions"])
        if actions.ndim != 2 or actions.shape[1] != self.num_envs:
            raise ValueError(
                f"state['actions'] has shape {actions.shape}, expected (steps, {self.num_envs})"
            )
        self.reset(seed=int(state["reset_seed"]))
        for row in actions:
            self.step(row)
