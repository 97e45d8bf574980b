"""PDF/A copies of letters through LibreOffice, all letters of a run in one process.

Starting LibreOffice costs about a second; converting a letter once it runs costs a fraction of
that. So every .docx of a run is handed to a single `soffice --convert-to` call, with a private
user profile (so it neither meets a desktop LibreOffice the office has open nor another run) and a
time limit that grows with the number of letters.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import ToolMissing

# PDF/A-2b: SelectPdfVersion 2 in LibreOffice's PDF export filter.
PDF_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
BASE_TIMEOUT_S = 90
PER_LETTER_TIMEOUT_S = 10


def soffice_path() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing("PDF copies need LibreOffice, which is not installed here. Install it "
                      "with 'make system-deps' (or: sudo apt-get install libreoffice-writer-nogui"
                      "), or draft without --pdf.")


def convert(docx_files: Sequence[Path], out_dir: Path, timeout: float | None = None) -> list[Path]:
    """Convert every file in one LibreOffice process; returns the PDFs, in the same order."""
    if not docx_files:
        return []
    soffice = soffice_path()
    out_dir.mkdir(parents=True, exist_ok=True)
    limit = timeout or BASE_TIMEOUT_S + PER_LETTER_TIMEOUT_S * len(docx_files)
    with tempfile.TemporaryDirectory(prefix="letters-lo-") as profile:
        command = [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                   "--norestore", "--nolockcheck", "--convert-to", PDF_FILTER,
                   "--outdir", str(out_dir), *[str(p) for p in docx_files]]
        try:
            result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=limit,
                                    env={**os.environ, "HOME": profile}, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ToolMissing(f"LibreOffice did not finish converting {len(docx_files)} letters "
                              f"within {limit:.0f} seconds; try again, or fewer at a time"
                              ) from None
    pdfs = [out_dir / (p.stem + ".pdf") for p in docx_files]
    missing = [p for p in pdfs if not p.is_file()]
    if missing:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no message"]
        raise ToolMissing(f"LibreOffice did not produce {len(missing)} of {len(pdfs)} PDF copies "
                          f"(first missing: {missing[0].name}; LibreOffice said: {detail[0]})")
    return pdfs
