"""Benchmark: render a realistic certificate PDF (QR code included) and report latency."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import importlib.util
import math
import statistics
import sys
import time
from pathlib import Path

# Runnable as `python bench/bench_certificate.py` from a checkout without installing.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certificates import (  # noqa: E402
    AuthorLine,
    CertificateRecord,
    new_code,
    render_pdf,
    verify_url_for,
)

WARMUP = 3
RUNS = 200


def realistic_record() -> CertificateRecord:
    """Return a record like the first course's: accents, two authors, NASW approval."""
    code = new_code()
    return CertificateRecord(
        code=code,
        participant_name="Zoë Nguyễn-O'Brien",
        licence_number="LCSW 123456",
        licence_jurisdiction="California",
        course_title=(
            "Youth Who Run from Foster Care: Push and Pull Factors, Trafficking Risk and "
            "Trauma-Informed Engagement"
        ),
        course_version=1,
        completed_on=datetime.date(2026, 11, 21),
        issued_at=datetime.datetime(2026, 11, 21, 15, 4, 5, tzinfo=datetime.UTC),
        contact_hours=decimal.Decimal("1.0"),
        credit_type="General",
        format="Self-paced online course (asynchronous, self-study)",
        authors=(AuthorLine("Maria Alvarez", "PhD, LCSW"), AuthorLine("Sam Okafor", "MSW")),
        provider_name="Riverside Center for Child Welfare Training",
        approval_body="National Association of Social Workers (NASW)",
        approval_number="886123456-7890",
        approval_statement=(
            "This program is approved by the National Association of Social Workers "
            "(Approval # 886123456-7890) for 1 continuing education contact hour."
        ),
        verify_url=verify_url_for("https://ce.example.org", code),
        signatory_name="Dana Whitfield, LCSW",
        signatory_title="Director of Continuing Education",
    )


def main() -> int:
    """Render WARMUP + RUNS certificates and print the median and 95th percentile."""
    base = realistic_record()
    # A fresh code (so a fresh QR code) for every render, as in real use.
    records = [
        dataclasses.replace(
            base, code=code, verify_url=verify_url_for("https://ce.example.org", code)
        )
        for code in (new_code() for _ in range(WARMUP + RUNS))
    ]
    for record in records[:WARMUP]:
        render_pdf(record)
    timings: list[float] = []
    cpu: list[float] = []
    size = 0
    for record in records[WARMUP:]:
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = render_pdf(record)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        size = len(pdf)
    timings.sort()
    median = statistics.median(timings)
    p95 = timings[math.ceil(0.95 * len(timings)) - 1]
    accelerated = importlib.util.find_spec("_rl_accel") is not None
    print(f"render_pdf, {RUNS} runs after {WARMUP} warm-up, QR code included, {size} bytes")
    print(f"ReportLab C accelerator (rl_accel): {'present' if accelerated else 'absent'}")
    print(f"median {median:.2f} ms   p95 {p95:.2f} ms   min {timings[0]:.2f} ms")
    # CPU time is steadier than wall time when other work shares the machine.
    print(f"CPU time per render: median {statistics.median(cpu):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
