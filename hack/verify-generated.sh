#!/usr/bin/env bash
# Fails when the generated files (deepcopy, CRDs, RBAC, docs/flags.md, the
# PrometheusRule, the chart's copies of the dashboard and the rules) differ
# from what `make generate` produces now. It generates into a scratch copy of the tree,
# so a developer's uncommitted work is never touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$root/api" ] || exit 0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$root" && tar cf - --exclude=./bin --exclude=./.git .) | (cd "$scratch" && tar xf -)
(cd "$scratch" && make -s generate >/dev/null)
if ! diff -ru "$root/api" "$scratch/api" || ! diff -ru "$root/config" "$scratch/config" ||
  ! diff -ru "$root/charts" "$scratch/charts" ||
  ! diff -u "$root/docs/flags.md" "$scratch/docs/flags.md"; then
  echo "generated files are stale: run 'make generate' and commit the result" >&2
  exit 1
fi
