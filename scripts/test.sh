#!/usr/bin/env bash
# The whole test suite: every module of the repository under the race
# detector with shuffled test order. This is the README's test command and
# what CI runs. Set SHORT=1 for the quick variant (-short).
set -euo pipefail
cd "$(dirname "$0")/.."

flags=(-race -shuffle=on -count=1)
[ "${SHORT:-0}" = 1 ] && flags+=(-short)

# Every go.mod of the repository: those git tracks, or, outside a git
# checkout (a release archive), those on disk.
gomods=$(git ls-files 'go.mod' '*/go.mod' 2>/dev/null) ||
  gomods=$(find . -name go.mod -not -path './.git/*' -not -path '*/testdata/*' | sed 's|^\./||' | sort)
for f in $gomods; do
  m=$(dirname "$f")
  echo "--- go test ${flags[*]} ./... in $m"
  (cd "$m" && go test "${flags[@]}" ./...)
done
