"""What a benchmark's numbers were measured on: the first JSON line of every result file."""

import datetime
import os
import platform

import numpy as np


def machine_info(**versions) -> dict:
    """Date, CPU, core count, load average and library versions (``versions`` adds more)."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "bench": "machine",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "numpy": np.__version__,
        **versions,
    }
