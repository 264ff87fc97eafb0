"""Run every `bench_*.py` module in this folder; each has `run() -> list[str]` returning lines to print."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(selected: list[str]) -> int:
    folder = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_"))
    if selected:
        names = [n for n in names if n in selected or n.removeprefix("bench_") in selected]
    if not names:
        print("no benchmark modules found", file=sys.stderr)
        return 1
    for name in names:
        module = importlib.import_module(f"{__package__ or 'benchmarks'}.{name}")
        header = f"== {name.removeprefix('bench_')} =="
        print(header, (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else "", flush=True)
        started = time.perf_counter()
        for line in module.run():
            print(f"  {line}", flush=True)
        print(f"  ({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
