#!/usr/bin/env bash
# Runs `graft advise` and `graft probe` on the four shared data sets, as the README shows them,
# with one feature cache for all (so probe after advise extracts nothing), and times each.
# Usage: bench/advise-all.sh [CACHE_DIR] > advise-all.txt   (default cache /tmp/probe-cache)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${1:-/tmp/probe-cache}"
"$here/graft" --help >/dev/null   # build first, outside the timings
for data in hymenoptera_data cats_and_dogs_small chest_xray_small fashion_mnist_small; do
  for command in advise probe; do
    echo "### $command $data"
    start=$(date +%s.%N)
    "$here/graft" "$command" "$here/../shared/data/$data" --cache "$cache" 2>/dev/null
    echo "($(echo "$(date +%s.%N) - $start" | bc) s)"
  done
done
