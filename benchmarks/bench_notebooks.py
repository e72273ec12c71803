"""Run time and peak kernel memory of every notebook (Restart & Run All, as CI's nbval does).

    python benchmarks/bench_notebooks.py [notebooks/01_*.ipynb ...]

Each notebook is executed by ``jupyter nbconvert --execute`` in a child process, in its own
folder, with the executed copy written to a temporary folder (the committed notebook is never
touched). The kernel is a grandchild of
this script, so ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after each run is the largest
resident set of any process in that run: an upper bound on the kernel's peak memory.
Prints one JSON line per notebook and a total: wall seconds, CPU seconds of the kernel and
nbconvert (robust when the machine is shared: on two idle cores the wall time is about
CPU time / 2 to CPU time), and peak memory (targets: under 10 minutes in all, and under 2 GB
per kernel).
"""

import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def run(path):
    # Execute the committed notebook where it lies (its folder is the kernel's working
    # directory, as under nbval: notebooks read ../benchmarks/results/), writing the executed
    # copy into a temporary folder, so the committed file is never touched.
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "jupyter",
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--output-dir",
                tmp,
                "--ExecutePreprocessor.timeout=900",
                "--ExecutePreprocessor.extra_arguments=['--IPKernelApp.capture_fd_output=False']",
                os.path.abspath(path),
            ],
            check=True,
            capture_output=True,
        )
        seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main(paths):
    paths = paths or sorted(glob.glob("notebooks/*.ipynb"))
    total = cpu = 0.0
    for path in paths:
        # a fresh process per notebook, so RUSAGE_CHILDREN covers that notebook alone
        done = subprocess.run(
            [sys.executable, __file__, "--one", path], capture_output=True, text=True, check=True
        )
        record = json.loads(done.stdout)
        total += record["seconds"]
        cpu += record["cpu_seconds"]
        print(json.dumps(record), flush=True)
    print(
        json.dumps(
            {
                "bench": "notebooks_total",
                "seconds": round(total, 1),
                "cpu_seconds": round(cpu, 1),
                "load1": os.getloadavg()[0],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        seconds, peak_mb, cpu = run(sys.argv[2])
        print(
            json.dumps(
                {
                    "bench": "notebook",
                    "notebook": sys.argv[2],
                    "seconds": round(seconds, 1),
                    "cpu_seconds": round(cpu, 1),
                    "peak_rss_mb": round(peak_mb),
                    "load1": os.getloadavg()[0],
                }
            )
        )
    else:
        main(sys.argv[1:])
