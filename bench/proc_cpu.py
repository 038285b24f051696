"""CPU time of processes and of the whole machine, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_ticks(pids: list[int]) -> int:
    """Return the user and system CPU ticks the processes have used (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def postgres_pids(database: str | None) -> list[int]:
    """Return the PostgreSQL server processes serving this database (none for SQLite)."""
    if not database:
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"postgres:" in command and f" {database} ".encode() in command:
                found.append(int(entry.name))
    return found


def same_priority(pids: list[int]) -> None:
    """Give the database's server processes this script's niceness (run under nice -n)."""
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    for pid in pids:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, mine)
        except OSError:
            pass


def machine_ticks() -> tuple[int, int, int]:
    """Return the machine's total, idle and stolen CPU ticks (steal: the host's other VMs)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    steal = values[7] if len(values) > 7 else 0
    return sum(values), idle, steal
