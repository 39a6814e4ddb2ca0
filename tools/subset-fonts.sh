#!/usr/bin/env bash
# Rebuilds the kiosk's font subsets from Debian's Noto Sans CJK (see kiosk/assets/fonts/README.md).
# Needs: apt-get install -y fonts-noto-cjk; pip install fonttools
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
list="${1:-$root/kiosk/tests/data/tongyong-guifan-hanzi-8105.txt}"
text="$(mktemp)"
cut -f2 "$list" | tr -d '\n' > "$text"
unicodes="U+0020-007E,U+00A0-00FF,U+2010-2027,U+2030-203B,U+2160-216B,U+2190-2193,U+2460-2473,U+25A0-25FF,U+2713-2717,U+3000-303F,U+FF00-FFEF"
for weight in Regular Bold; do
  # Font number 2 of the collection is the Simplified Chinese face.
  pyftsubset "/usr/share/fonts/opentype/noto/NotoSansCJK-$weight.ttc" --font-number=2 \
    --text-file="$text" --unicodes="$unicodes" --layout-features='' --no-hinting --name-IDs='*' \
    --output-file="$root/kiosk/assets/fonts/NotoSansCJKsc-$weight-subset.otf"
done
rm -f "$text"
