#!/usr/bin/env python3
"""Benchmark: one case with many posts (issue 11: linear time in posts).

    .venv/bin/python bench/posts.py [--posts 20000] [--out output/bench-posts.json]

Writes a case file with N posts (just under the 5 MB a case file may be at 20,000: mixed
platforms, every seventh post harassment naming a pupil, a history step naming posts), then times
`letters check`, `letters plan` and `letters draft` on it, each a fresh process as the office
runs them. The target: all three together under 30 s for 20,000 posts. Reported per command:
wall-clock seconds and the CPU seconds the process used (the disk and other processes make the
wall clock noisy on a shared machine; CPU seconds show the work itself). A quadratic step shows
as a 10x longer time for a 3x bigger case: `--posts` makes that easy to see.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = ("facebook", "instagram", "x", "tiktok", "school_forum")


def write_case(path: Path, posts: int) -> None:
    lines = ["case_id: BIG-001", "opened: 2026-11-02", "poster:", "  name: Mrs Jane Doe",
             "  address: [12 Example Road, Bexton, WA16 0XX]", "  children:",
             "    - {name: Sam Doe, class: Year 4}", "posts:"]
    for i in range(1, posts + 1):
        platform = PLATFORMS[i % len(PLATFORMS)]
        serious = i % 7 == 0
        lines += [f"  - id: P{i}", f"    platform: {platform}", f"    url: https://ex.org/{i}",
                  f"    posted: 2026-10-{i % 28 + 1:02d}T{i % 24:02d}:30:00",
                  f"    text: Post {i} about Tom Smith.",
                  "    concerns: [" + ("harassment, names_pupil" if serious
                                       else "negative_comment") + "]",
                  "    about:", ("      - {role: pupil, name: Tom Smith}" if serious
                                 else "      - {role: staff, name: Mr A Teacher}"),
                  "    status: live"]
    lines += ["history:", "  - date: 2026-11-03", "    step: discussion", "    outcome: refused",
              "    by: Headteacher", "    posts: [P1, P2]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `letters COMMAND` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", *command], cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"letters {command[0]} failed:\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=ROOT / "output" / "bench-posts.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-posts-") as scratch:
        folder = Path(scratch)
        case = folder / "big.yaml"
        write_case(case, args.posts)
        school = str(ROOT / "data" / "school.yaml")
        common = ["--today", "2026-12-01", "--school", school]
        figures: dict[str, float | int] = {"posts": args.posts,
                                           "case_mb": round(case.stat().st_size / 2**20, 2)}
        for name, command in (("check", ["check", str(case), *common]),
                              ("plan", ["plan", str(case), *common]),
                              ("draft", ["draft", str(case), "--out", str(folder / "out"),
                                         "--templates", str(ROOT / "letter_templates"),
                                         "--jobs", "1", *common])):
            wall, cpu = timed(command, folder)
            figures[f"{name}_s"], figures[f"{name}_cpu_s"] = round(wall, 2), round(cpu, 2)
            print(f"{name:>6}: {wall:6.2f} s ({cpu:.2f} s CPU)")
        figures["total_s"] = round(sum(figures[f"{n}_s"] for n in ("check", "plan", "draft")), 2)
        figures["total_cpu_s"] = round(sum(figures[f"{n}_cpu_s"]
                                           for n in ("check", "plan", "draft")), 2)
        print(f" total: {figures['total_s']:6.2f} s ({figures['total_cpu_s']:.2f} s CPU) for "
              f"{args.posts:,} posts ({figures['case_mb']} MB); target: under 30 s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
