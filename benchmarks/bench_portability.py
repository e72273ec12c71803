"""Which kernel switches change a training run's numbers on this machine.

Run: ``python benchmarks/bench_portability.py [--total-steps 12000]`` (a minute or two). The
same short default training run (seed 0) runs in a fresh process under each setting below;
each JSON line gives how far the final weights are from the run with the machine's defaults
(the largest absolute difference over all weights), whether they are identical bit for bit,
and the final evaluation return. A setting that changes nothing gives 0 and ``identical``.

Settings: each switch of ``.ci/perturbed-env.sh`` alone, then all of them together (the
perturbed kernel path CI runs the notebooks on), and the default run a second time (the same
seed on the same path must give identical numbers).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

NUMPY_OFF = "X86_V3 X86_V4 AVX512_ICL AVX512_SPR AVX512F AVX512_SKX AVX2 FMA3"
SETTINGS = {
    "default": {},
    "default_again": {},
    "onednn_sse41": {"ONEDNN_MAX_CPU_ISA": "SSE41"},
    "xla_sse42": {"XLA_FLAGS": "--xla_cpu_max_isa=SSE4_2"},
    "numpy_baseline_simd": {"NPY_DISABLE_CPU_FEATURES": NUMPY_OFF},
    "onednn_opts_on": {"TF_ENABLE_ONEDNN_OPTS": "1"},
    "onednn_opts_off": {"TF_ENABLE_ONEDNN_OPTS": "0"},
    "all_perturbed": {
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "XLA_FLAGS": "--xla_cpu_max_isa=SSE4_2",
        "NPY_DISABLE_CPU_FEATURES": NUMPY_OFF,
    },
}

CHILD = """
import sys
import numpy as np
from dqrec.config import TrainConfig
from dqrec.train import train
history = train(TrainConfig(total_steps=int(sys.argv[1]), eval_every=0, num_eval_shoppers=200))
weights = history.agent.online.get_weights()
np.savez(sys.argv[2], *weights, final_return=np.float64(history.eval_returns[-1]))
"""


def run(setting: dict, total_steps: int, out: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ONEDNN_MAX_CPU_ISA", "XLA_FLAGS", "NPY_DISABLE_CPU_FEATURES")
    }
    env.update(setting, TF_CPP_MIN_LOG_LEVEL="2")
    subprocess.run(
        [sys.executable, "-c", CHILD, str(total_steps), out],
        env=env,
        check=True,
        capture_output=True,
        timeout=1200,
    )
    with np.load(out) as data:
        final_return = float(data["final_return"])
        weights = [data[k] for k in data.files if k != "final_return"]
    return {"weights": weights, "final_return": final_return}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total-steps", type=int, default=12_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        reference = None
        for name, setting in SETTINGS.items():
            result = run(setting, args.total_steps, os.path.join(tmp, f"{name}.npz"))
            reference = reference or result
            diffs = [
                np.max(np.abs(a - b))
                for a, b in zip(result["weights"], reference["weights"], strict=True)
            ]
            print(
                json.dumps(
                    {
                        "bench": "portability",
                        "setting": name,
                        "env": setting,
                        "total_steps": args.total_steps,
                        "max_abs_weight_diff": float(max(diffs)),
                        "identical": bool(max(diffs) == 0.0),
                        "final_return": round(result["final_return"], 4),
                        "load_1min": round(os.getloadavg()[0], 2),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
