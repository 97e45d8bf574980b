#!/usr/bin/env python3
"""Measure PDF conversion by chunk size, and one LibreOffice process for every letter.

    .venv/bin/python bench/pdf_chunks.py [--letters 1000] [--sizes 25 50 100 200]
                                         [--repeat 2] [--single] [--source DIR]

Letters: the .docx files in --source (default: the sample cases in data/cases, drafted into a
scratch folder), copied under numbered names until there are --letters of them. For each chunk
size, pipeline.pdf.convert converts them all --repeat times (the sizes interleaved, so a busy
spell on a shared machine does not fall on one size only); printed per run: seconds in all,
per letter, the CPU time LibreOffice used per letter (steadier than seconds when other work
shares the machine), and the peak resident memory of soffice.bin. With --single, one plain
`soffice --convert-to` is also given every letter at once (the old way) and what it made is
counted: it stops after 245 (see the pipeline.pdf docstring) and still exits 0.
Not needed by the tests; needs LibreOffice.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import pdf  # noqa: E402


def letters(source: Path | None, count: int, scratch: Path) -> list[Path]:
    if source is None:
        source = scratch / "drafted"
        subprocess.run([sys.executable, "-m", "pipeline", "draft", str(ROOT / "data/cases"),
                        "--out", str(source), "--school", str(ROOT / "data/school.yaml")],
                       check=True, capture_output=True, cwd=ROOT)
    originals = sorted(source.rglob("*.docx"))
    if not originals:
        raise SystemExit(f"no .docx letters in {source}")
    folder = scratch / "letters"
    folder.mkdir()
    made = []
    for i in range(count):
        original = originals[i % len(originals)]
        made.append(folder / f"{i:05d}-{original.name}")
        shutil.copyfile(original, made[-1])
    return made


class PeakRss:
    """Samples the resident memory of soffice.bin processes on `profile` every 50 ms."""

    def __init__(self, profile: Path):
        self.arg = f"-env:UserInstallation={profile.resolve().as_uri()}".encode()
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            for pid in pdf._pids_with_arg(self.arg):
                try:
                    with open(f"/proc/{pid}/status") as handle:
                        status = handle.read()
                    with open(f"/proc/{pid}/comm") as handle:
                        if handle.read().strip() != "soffice.bin":
                            continue
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmRSS:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def chunked(files: list[Path], size: int, scratch: Path, run: int) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds of LibreOffice (and its launchers), peak RSS in MB."""
    out = scratch / f"out-{size}-{run}"
    profile = Path(tempfile.mkdtemp(prefix="bench-lo-", dir=scratch))
    try:
        with PeakRss(profile) as rss:
            start, cpu = time.perf_counter(), children_cpu()
            made = pdf.convert(files, out, profile=profile, chunk_size=size)
            seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
        assert all(pdf.is_pdf(p) for p in made)
        return seconds, cpu, rss.peak_kb / 1024
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)


def single(files: list[Path], scratch: Path) -> None:
    """The old way: every letter in one soffice call."""
    out, profile = scratch / "out-single", scratch / "single-profile"
    pdf.seed_profile(profile, pdf.soffice_path())
    command = [pdf.soffice_path(), *pdf._options(profile, out), *map(str, files)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, "HOME": str(profile)}, timeout=3600)
    seconds = time.perf_counter() - start
    made = [p for p in out.glob("*.pdf") if pdf.is_pdf(p)]
    print(f"  one process, {len(files)} letters: exit {done.returncode}, {len(made)} PDFs made, "
          f"{seconds:.1f} s", flush=True)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(profile, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 50, 100, 200])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--single", action="store_true")
    parser.add_argument("--source", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="letters-pdfbench-") as tmp:
        scratch = Path(tmp)
        files = letters(args.source, args.letters, scratch)
        print(f"{len(files)} letters, {os.cpu_count()} cores", flush=True)
        if args.single:
            single(files, scratch)
        times: dict[int, list[tuple[float, float]]] = {size: [] for size in args.sizes}
        for run in range(args.repeat):
            order = list(args.sizes)
            random.Random(run).shuffle(order)
            for size in order:
                seconds, cpu, peak = chunked(files, size, scratch, run)
                times[size].append((seconds, cpu))
                print(f"  chunk {size:4d}: {seconds:7.1f} s  {1000 * seconds / len(files):6.1f} "
                      f"ms/letter  CPU {1000 * cpu / len(files):6.1f} ms/letter  "
                      f"soffice.bin peak RSS {peak:6.0f} MB", flush=True)
        print("best of each (wall; CPU):")
        for size in args.sizes:
            wall, cpu = min(t[0] for t in times[size]), min(t[1] for t in times[size])
            print(f"  chunk {size:4d}: {wall:7.1f} s  {1000 * wall / len(files):6.1f} ms/letter; "
                  f"{1000 * cpu / len(files):6.1f} ms/letter")
    return 0


if __name__ == "__main__":
    sys.exit(main())
