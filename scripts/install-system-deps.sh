#!/usr/bin/env bash
# Installs the outside programs and fonts the PDF copies and the real-client tests need:
# LibreOffice (Writer, headless), poppler-utils (pdftotext, pdftoppm) and the fonts the letters
# are drawn with (Liberation, DejaVu, Noto, and Symbola for emoji: LibreOffice 7.4 cannot draw
# a colour-emoji font into a PDF, so pipeline/pdf.py hides those from it and Symbola draws them).
# Each package is checked on its own and only the missing ones are installed, so a machine that
# already has LibreOffice still gets the fonts. Safe to run again: silent when all are there.
set -euo pipefail
packages=(libreoffice-writer-nogui poppler-utils fonts-liberation2 fonts-dejavu-core
          fonts-noto-core fonts-symbola)

installed() {
  # Not `dpkg -s`: it succeeds for a removed package whose configuration files remain.
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ $status == *" ok installed" ]]
}

note() {
  echo "note: $1" >&2
  echo "      Until then PDF copies are unavailable (or show emoji as boxes) and their tests" >&2
  echo "      are skipped." >&2
  exit 0
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  # Not Debian or Ubuntu: the packages cannot be checked one by one here.
  if command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
    exit 0
  fi
  note "apt-get not found; install LibreOffice, poppler-utils and the Noto fonts yourself."
fi
missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  note "apt-get not found; install these yourself: ${missing[*]}"
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
    note "not root and no sudo; run: sudo apt-get install ${missing[*]}"
  fi
fi
echo "Installing ${missing[*]} (a few minutes the first time)..."
${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq
${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for package in "${missing[@]}"; do
  if ! installed "$package"; then
    echo "error: $package is still not installed after apt-get install" >&2
    exit 1
  fi
done
