#!/usr/bin/env bash
# Redraw docs/letters/<kind>.png: page one of one sample letter of each kind, for the README.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/letters draft data/cases --out "$work" --date 2026-12-01 --pdf >/dev/null
mkdir -p docs/letters
for kind in concern warning host_takedown police_referral legal_referral access_restriction premises_notice; do
    pdf=$(ls "$work"/*/*-"$kind"*.pdf 2>/dev/null | head -1 || true)
    if [ -z "$pdf" ]; then
        echo "No sample case drafts a $kind letter on 1 December 2026; docs/letters/$kind.png left as it was." >&2
        continue
    fi
    pdftoppm -png -r 60 -f 1 -l 1 -singlefile "$pdf" "docs/letters/$kind"
    echo "docs/letters/$kind.png  from $(basename "$pdf")"
done
