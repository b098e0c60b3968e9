#!/usr/bin/env bash
# The whole test suite: every module of the repository under the race
# detector with shuffled test order. This is the README's test command and
# what CI runs. Set SHORT=1 for the quick variant (-short).
set -euo pipefail
cd "$(dirname "$0")/.."

# The race detector is built with cgo, and cgo needs a C compiler: without
# one on PATH, go turns cgo off and every go test -race stops at once with
# "-race requires cgo", naming no remedy.
if [ "$(go env CGO_ENABLED)" != 1 ]; then
  echo "test.sh: the race detector needs cgo, which is off (go env CGO_ENABLED is 0: no C compiler on PATH?)." >&2
  echo "test.sh: install a C compiler (gcc or clang, e.g. apt-get install gcc), or set CGO_ENABLED=1 and CC." >&2
  exit 1
fi

# -timeout 20m: go test's default, 10 minutes a package, is near what the
# race run of ./concurrent takes on a busy two-core machine (a CI run beside
# other jobs crossed it); a hang still fails, at 20 minutes, and each test's
# own waits fail far sooner (internal/testwait.Hang).
flags=(-race -shuffle=on -count=1 -timeout 20m)
[ "${SHORT:-0}" = 1 ] && flags+=(-short)

# Every go.mod of the repository: those git tracks, or, outside a git
# checkout (a release archive), those on disk. A release archive unpacked in
# another repository's work tree is inside a git checkout whose git tracks
# none of them: git ls-files then succeeds with nothing, and no module ran.
gomods=$(git ls-files 'go.mod' '*/go.mod' 2>/dev/null || true)
if [ -z "$gomods" ]; then
  gomods=$(find . -name go.mod -not -path './.git/*' -not -path '*/testdata/*' | sed 's|^\./||' | sort)
fi
if [ -z "$gomods" ]; then
  echo "test.sh: no go.mod found" >&2
  exit 1
fi
for f in $gomods; do
  m=$(dirname "$f")
  echo "--- go test ${flags[*]} ./... in $m"
  (cd "$m" && go test "${flags[@]}" ./...)
done
