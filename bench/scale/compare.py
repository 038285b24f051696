"""Side-by-side table of time_pages.py results: small vs large (and more), as Markdown.

Usage: python bench/scale/compare.py small.json large.json [more.json ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    """Print one Markdown row per page, the runs' CPU ms and statements side by side."""
    runs = [(Path(p).stem, json.loads(Path(p).read_text())) for p in sys.argv[1:]]
    head = " | ".join(f"{name} CPU ms | {name} stmts" for name, _ in runs)
    print(f"| page | {head} |")
    print("|---|" + "---:|" * (2 * len(runs)))
    for label in runs[0][1]:
        cells = []
        for _, data in runs:
            r = data.get(label)
            cells += [f"{r['cpu_ms']:.1f}", str(r["statements"])] if r else ["", ""]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
