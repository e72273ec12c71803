"""How fast the command line answers a question that needs no model.

Run: ``python benchmarks/bench_cli.py [--repeats 5]`` (about half a minute). Each command runs
in a fresh process with the environment of a user's shell (no ``TF_CPP_MIN_LOG_LEVEL``), and
one JSON line per command gives the median and the range of the wall time over the repeats,
the exit code and the number of stderr lines. For scale, the last line times a bare
``import tensorflow``, the cost that usage and missing-file errors must not pay.
Target: ``--help`` and ``recommend missing.keras`` in well under a second, with one line.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "help": ["-m", "dqrec", "--help"],
    "usage_error": ["-m", "dqrec", "recommend"],
    "missing_model": ["-m", "dqrec", "recommend", "missing.keras", "--history", "1:click"],
    "import_tensorflow": ["-c", "import tensorflow"],
}


def time_command(args: list[str], repeats: int, cwd: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
        )
        seconds.append(time.perf_counter() - start)
    return {
        "median_s": round(statistics.median(seconds), 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
        "exit_code": done.returncode,
        "stderr_lines": len(done.stderr.splitlines()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cwd:
        for name, command in COMMANDS.items():
            result = time_command(command, args.repeats, cwd)
            line = {
                "bench": "cli_latency",
                "command": name,
                "repeats": args.repeats,
                **result,
                "load_1min": round(os.getloadavg()[0], 2),
            }
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
