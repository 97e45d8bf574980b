"""`make bench` keeps working: the benchmark script runs on a tiny batch and writes its figures.

Only the script is tested here, never a speed: speed and memory targets are measured by
`make bench` itself (see bench/bench.py), on the machine they are meant for.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest


def test_the_benchmark_runs_and_writes_every_figure(tmp_path, repo):
    out = tmp_path / "bench.json"
    pdf_letters = "2" if shutil.which("soffice") else "0"

    result = subprocess.run(
        [sys.executable, str(repo / "bench" / "bench.py"), "--cases", "6", "--repeat", "1",
         "--pdf-letters", pdf_letters, "--rss-cases", "3", "6", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    for key in ("bare_ms", "pipeline_ms", "pipeline_parallel_ms", "speedup_1core",
                "speedup_all_cores", "peak_rss_mb_3", "peak_rss_mb_6"):
        assert isinstance(figures[key], float) and figures[key] > 0, key
    # the ratios are of the figures (which are rounded in the file, hence the tolerance)
    assert figures["speedup_1core"] == pytest.approx(
        figures["bare_ms"] / figures["pipeline_ms"], rel=0.02)
    if pdf_letters != "0":
        assert figures["pdf_per_letter_s"] > 0 and figures["pdf_batch_s"] > 0
        assert figures["pdf_speedup"] == pytest.approx(  # written to one decimal place
            figures["pdf_per_letter_s"] / figures["pdf_batch_s"], rel=0.05, abs=0.06)
    assert "speedup 1 core" in result.stdout and "wrote" in result.stdout


def test_the_posts_benchmark_runs_on_a_small_case(tmp_path, repo):
    out = tmp_path / "posts.json"

    result = subprocess.run([sys.executable, str(repo / "bench" / "posts.py"), "--posts", "40",
                             "--out", str(out)], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["posts"] == 40
    for key in ("check_s", "plan_s", "draft_s", "total_s", "total_cpu_s"):
        assert figures[key] > 0, key


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("soffice"), reason="needs LibreOffice")
def test_the_pdf_batch_benchmark_runs_on_a_small_batch(tmp_path, repo):
    """Slow (LibreOffice starts once, ~5 s): `make bench-pdf` must not rot either."""
    out = tmp_path / "pdf.json"

    result = subprocess.run([sys.executable, str(repo / "bench" / "pdf_batch.py"), "--letters",
                             "3", "--out", str(out)], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["pdfs"] == figures["letters"] == figures["pdf_journal_lines"] == 3
    assert figures["verify_ok"] is True
