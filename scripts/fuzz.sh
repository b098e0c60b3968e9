#!/usr/bin/env bash
# Fuzz each target of the module for a fixed budget, one after another, and
# fail on the first crasher. The seeds in each package's testdata/fuzz already
# run as ordinary tests with go test; a crasher found here is written there too:
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
#
# Minimizing is bounded to 10 s an input (-fuzzminimizetime; go test's
# default is 60 s). The fuzzer minimizes every new interesting input, running
# the target a number of times quadratic in the input's length, and a worker
# that minimizes does not fuzz: on FuzzInjectivity, inputs under a kilobyte
# kept both workers minimizing, with no execution reported, for the last 30 s
# of 40 s runs. Crashers are minimized within the same bound.
set -euo pipefail
cd "$(dirname "$0")/.."

scale=${FUZZSCALE:-1}
case "$scale" in
  ''|*[!0-9]*|0) echo "fuzz.sh: FUZZSCALE must be a positive integer, got '$scale'" >&2; exit 2 ;;
esac

# budget prints the default execution count of one target: FuzzRedaction
# renders every value it builds through every output path (rendertest.All), so
# it runs about 20 times slower than the others; FuzzSketch compares the
# whole table with its model after most operations; and
# FuzzLRUMatchesReferenceModel runs up to 4,000 cache operations an input.
budget() {
  case "$1" in
    FuzzRedaction) echo $((10000 * scale)) ;;
    FuzzSketch) echo $((50000 * scale)) ;;
    FuzzLRUMatchesReferenceModel) echo $((5000 * scale)) ;;
    *) echo $((200000 * scale)) ;;
  esac
}

# Every package of the module with a fuzz target: ./fuzz (keys), admission
# (the sketch), concurrent (the LRU against its reference model).
pkgs=$(go list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
  if grep -qs '^func Fuzz' "$dir"/*_test.go; then echo "$pkg"; fi
done)
if [ -z "$pkgs" ]; then
  echo "fuzz.sh: no fuzz targets found" >&2
  exit 1
fi

n=0
for pkg in $pkgs; do
  # Listed apart from the loop: a failure inside the loop's word list (a
  # test that does not compile) was swallowed, and the package skipped.
  listed=$(go test "$pkg" -run '^$' -list '^Fuzz')
  targets=$(printf '%s\n' "$listed" | grep '^Fuzz' || true)
  if [ -z "$targets" ]; then
    echo "fuzz.sh: $pkg has a func Fuzz but go test lists no fuzz target" >&2
    exit 1
  fi
  for target in $targets; do
    limit=${FUZZTIME:-$(budget "$target")x}
    echo "--- $pkg $target for $limit"
    go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$limit" -fuzzminimizetime 10s
    n=$((n + 1))
  done
done
echo "--- fuzz.sh: $n targets, no crasher"
