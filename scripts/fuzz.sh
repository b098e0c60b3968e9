#!/usr/bin/env bash
# Fuzz each target of ./fuzz for a fixed time, one after another, and fail on
# the first crasher. FUZZTIME sets the time per target (default 20s).
# The seeds in fuzz/testdata/fuzz already run as ordinary tests with go test;
# a crasher found here is written there too: commit it as a regression seed
# once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-20s}
targets=$(go test ./fuzz -list '^Fuzz' | grep '^Fuzz' || true)
if [ -z "$targets" ]; then
  echo "fuzz.sh: no fuzz targets found in ./fuzz" >&2
  exit 1
fi

for target in $targets; do
  echo "--- $target for $fuzztime"
  go test ./fuzz -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime"
done
echo "--- fuzz.sh: $(echo "$targets" | wc -l) targets, no crasher"
