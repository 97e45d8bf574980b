#!/usr/bin/env python3
"""Benchmark: one `letters draft --pdf` command for a batch of letters (issue 11).

    .venv/bin/python bench/pdf_batch.py [--letters 1000] [--out output/bench-pdf.json]

Writes N first-incident cases (one concern letter each, the cases of bench/bench.py), then runs
`letters draft CASES --out OUT --pdf` once, as the office would, and checks the result: every
letter has its PDF, every PDF its manifest entry and journal line, and `letters verify` passes.
LibreOffice takes at most about 245 letters a process, so this also shows the chunks at work
(pipeline/pdf.py). Prints and writes the wall-clock time of the command and its parts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench import make_cases  # noqa: E402 - after the path is set


def run(args: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          check=False)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "output" / "bench-pdf.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as scratch:
        folder = Path(scratch)
        make_cases(folder / "cases", args.letters)
        out = folder / "out"
        command = ["draft", str(folder / "cases"), "--out", str(out), "--date", "2026-11-03",
                   "--school", str(ROOT / "data" / "school.yaml"), "--pdf",
                   "--templates", str(ROOT / "letter_templates")]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        seconds, done = run(command, folder)
        if done.returncode != 0:
            raise SystemExit(f"letters draft --pdf failed ({done.returncode}):\n"
                             f"{done.stderr[-3000:]}")
        docx, pdfs = sorted(out.glob("*/*.docx")), sorted(out.glob("*/*.pdf"))
        journal = (out / "journal.jsonl").read_text(encoding="utf-8").splitlines()
        pdf_lines = sum(1 for line in journal if json.loads(line)["event"] == "pdf")
        verify_s, verified = run(["verify", str(out)], folder)
        summary = done.stdout.strip().splitlines()[-1]
        figures = {
            "letters": len(docx), "pdfs": len(pdfs), "pdf_journal_lines": pdf_lines,
            "draft_pdf_s": round(seconds, 1), "per_letter_s": round(seconds / len(docx), 3),
            "verify_s": round(verify_s, 1), "verify_ok": verified.returncode == 0,
            "summary": summary, "cores": len(os.sched_getaffinity(0)),
        }
        seal = re.search(r"Seal: (\S+)", verified.stdout)
        print(f"letters draft --pdf: {len(docx)} letters, {len(pdfs)} PDFs in {seconds:.1f} s "
              f"({seconds / len(docx):.3f} s a letter); {summary}")
        print(f"letters verify: {'ok' if verified.returncode == 0 else 'PROBLEMS'} in "
              f"{verify_s:.1f} s; {verified.stdout.strip().splitlines()[-1]}"
              + (f"; seal {seal.group(1)[:12]}..." if seal else ""))
        if not (len(pdfs) == len(docx) == pdf_lines == args.letters and verified.returncode == 0):
            raise SystemExit(f"not every letter has an archived PDF:\n{verified.stderr[-2000:]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
