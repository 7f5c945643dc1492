#!/usr/bin/env bash
# Measures the main job's wall time on a data set: a first `graft train` with an empty feature cache,
# then a second one with another head that reuses the cached features. Prints both and their ratio.
# Usage: bench/train-twice.sh [DATA] [RUNS]   (default ../shared/data/hymenoptera_data, 3 runs; medians)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${1:-$here/../shared/data/hymenoptera_data}"
runs="${2:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$here/graft" --help >/dev/null   # build first, outside the timings

first=(); second=()
for run in $(seq "$runs"); do
  rm -rf "$work/cache"
  s=$(date +%s.%N)
  "$here/graft" train "$data" --out "$work/m1" --cache "$work/cache" --quiet >/dev/null
  m=$(date +%s.%N)
  "$here/graft" train "$data" --out "$work/m2" --cache "$work/cache" --head mlp --quiet >/dev/null
  e=$(date +%s.%N)
  first+=("$(echo "$m - $s" | bc)"); second+=("$(echo "$e - $m" | bc)")
  echo "run $run: first ${first[-1]} s, second ${second[-1]} s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
f=$(median "${first[@]}"); s=$(median "${second[@]}")
echo "median: first $f s, second $s s, ratio $(echo "scale=3; $s / $f" | bc)"
