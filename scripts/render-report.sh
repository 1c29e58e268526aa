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
# Stand-ins for the official fonts, for looking only: 黑体 → a sans face, the others → a serif face, so
# the heading levels stay distinguishable on the pages.
conf="$out/fonts.conf"
{
  echo '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
  for f in 方正小标宋简体:"Noto Serif CJK SC" 仿宋_GB2312:"Noto Serif CJK SC" 楷体_GB2312:"Noto Serif CJK SC" 宋体:"Noto Serif CJK SC" 黑体:"Noto Sans CJK SC"; do
    echo "<alias binding=\"same\"><family>${f%%:*}</family><prefer><family>${f#*:}</family></prefer></alias>"
  done
  echo '</fontconfig>'
} >"$conf"
export FONTCONFIG_FILE="$PWD/$conf"
for doc in "$out"/*.docx "$out"/*.xlsx; do
  [ -e "$doc" ] || continue
  soffice --headless --convert-to pdf --outdir "$out" "$doc" >/dev/null 2>&1 || true
  pdf="${doc%.*}.pdf"
  # The ledger needs libreoffice-calc; without it only the report is rendered.
  [ -e "$pdf" ] || { echo "$doc: not converted (for .xlsx: apt-get install -y libreoffice-calc)"; continue; }
  pdftoppm -png -r 60 "$pdf" "${doc%.*}-page"
  echo "$pdf: $(pdfinfo "$pdf" 2>/dev/null | awk '/^Pages:/ {print $2}') page(s); PNG pages ${doc%.*}-page-*.png"
done
