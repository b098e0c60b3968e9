#!/usr/bin/env bash
# Fuzz each target of ./fuzz for a fixed budget, one after another, and fail
# on the first crasher. The seeds in fuzz/testdata/fuzz already run as
# ordinary tests with go test; a crasher found here is written there too:
# commit it as a regression seed once fixed.
#
# The budget is a count of executions per target (go test -fuzztime Nx), not a
# duration. A duration budget races the fuzzing coordinator's own deadline on
# Go before 1.27 (golang/go#75804): on a loaded machine a worker still busy
# when the deadline fires makes the target fail with a bare "context deadline
# exceeded" and no crasher. A count has no deadline, so a slow machine only
# makes the run slower. The counts are sized to about 20 s per target on a
# 2-core machine; FUZZSCALE multiplies them (default 1), and FUZZTIME, when
# set, replaces them all with go test's -fuzztime value (e.g. 5m or 1000000x).
set -euo pipefail
cd "$(dirname "$0")/.."

scale=${FUZZSCALE:-1}
case "$scale" in
  ''|*[!0-9]*|0) echo "fuzz.sh: FUZZSCALE must be a positive integer, got '$scale'" >&2; exit 2 ;;
esac

# budget prints the default execution count of one target: FuzzRedaction
# renders every value it builds through every output path (rendertest.All), so
# it runs about 20 times slower than the others.
budget() {
  case "$1" in
    FuzzRedaction) echo $((10000 * scale)) ;;
    *) echo $((200000 * scale)) ;;
  esac
}

targets=$(go test ./fuzz -list '^Fuzz' | grep '^Fuzz' || true)
if [ -z "$targets" ]; then
  echo "fuzz.sh: no fuzz targets found in ./fuzz" >&2
  exit 1
fi

for target in $targets; do
  limit=${FUZZTIME:-$(budget "$target")x}
  echo "--- $target for $limit"
  go test ./fuzz -run '^$' -fuzz "^${target}\$" -fuzztime "$limit"
done
echo "--- fuzz.sh: $(echo "$targets" | wc -l) targets, no crasher"
