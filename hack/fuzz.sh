#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each (default 60s).
# `go test -fuzz` takes one target per run, so each runs on its own; an input
# that fails is written by Go under the package's testdata/fuzz/<Target>/,
# where it becomes a seed that `make test` runs from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-60s}
status=0
while IFS=: read -r file name; do
  pkg=./$(dirname "$file")
  echo "== $name ($pkg, $fuzztime)"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"; then
    status=1
  fi
done < <(git grep -o -E '^func Fuzz[A-Za-z0-9_]+' -- '*_test.go' | sed -E 's/func //')
exit $status
