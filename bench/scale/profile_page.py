"""cProfile one page of time_pages.py: where its CPU goes, by function (cumulative).

Usage: python bench/scale/profile_page.py DB LABEL_SUBSTRING [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import time_pages  # noqa: E402


def main() -> None:
    """Run each matching page once to warm up, then once under cProfile; print the top."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("label")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    app, clients, facts = time_pages.setup(args.db.resolve())
    for label, who, path in time_pages.pages(facts):
        if args.label not in label:
            continue
        clients[who].get(path).get_data()
        profiler = cProfile.Profile()
        profiler.enable()
        clients[who].get(path).get_data()
        profiler.disable()
        print(f"== {label} {path}")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
