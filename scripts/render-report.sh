#!/usr/bin/env bash
# Render the report (and the ledger) of a sample campaign to PDF and PNG pages, to look at them:
#   scripts/render-report.sh [campaign-file] [out-dir]      (default: examples/bureau.yaml, tmp/exports)
# Needs LibreOffice and poppler (Debian: apt-get install -y libreoffice-writer libreoffice-calc
# fonts-noto-cjk poppler-utils). Not part of CI. The official fonts (方正小标宋简体, 仿宋_GB2312,
# 楷体_GB2312) are not free; LibreOffice substitutes what is installed, so judge layout, not typefaces.
set -euo pipefail
cd "$(dirname "$0")/.."
file="${1:-examples/bureau.yaml}"
out="${2:-tmp/exports}"
mkdir -p "$out"
for tool in soffice pdftoppm; do
  command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install -y libreoffice-writer poppler-utils fonts-noto-cjk" >&2; exit 1; }
done
npx tsx scripts/sample-exports.ts "$file" "$out"
for doc in "$out"/*.docx "$out"/*.xlsx; do
  [ -e "$doc" ] || continue
  soffice --headless --convert-to pdf --outdir "$out" "$doc" >/dev/null 2>&1
  pdf="${doc%.*}.pdf"
  pdftoppm -png -r 60 "$pdf" "${doc%.*}-page"
  echo "$pdf: $(pdfinfo "$pdf" 2>/dev/null | awk '/^Pages:/ {print $2}') page(s); PNG pages ${doc%.*}-page-*.png"
done
