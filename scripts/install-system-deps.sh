#!/usr/bin/env bash
# Installs the outside programs the PDF copies and the real-client tests need:
# LibreOffice (Writer, headless) and poppler-utils (pdftotext, pdftoppm).
# Safe to run again: it does nothing when both are already there.
set -euo pipefail
if command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
  exit 0
fi
packages="libreoffice-writer-nogui poppler-utils fonts-liberation2 fonts-dejavu-core fonts-noto-core fonts-noto-color-emoji"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: apt-get not found; install LibreOffice and poppler-utils yourself." >&2
  echo "      Until then PDF copies are unavailable and their tests are skipped." >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "note: not root and no sudo; run: sudo apt-get install $packages" >&2
    echo "      Until then PDF copies are unavailable and their tests are skipped." >&2
    exit 0
  fi
fi
echo "Installing LibreOffice and poppler-utils (a few minutes, once)..."
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $packages >/dev/null
