#!/usr/bin/env bash
# Builds one of the heavy tools pinned in hack/tools/go.mod (helm, promtool)
# once per machine and prints the path of the cached binary. The tools live in
# their own module so that their dependencies never move the controller's
# k8s.io versions; the cache key is that module's go.sum, so bumping a tool
# rebuilds it. Usage: bash hack/tool.sh helm|promtool
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: tool.sh helm|promtool}
case "$name" in
  helm) pkg=helm.sh/helm/v3/cmd/helm ;;
  promtool) pkg=github.com/prometheus/prometheus/cmd/promtool ;;
  *) echo "tool.sh: unknown tool $name (helm, promtool)" >&2; exit 2 ;;
esac

cache_root=${TGC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tgc}
key=$(cat "$here/tools/go.mod" "$here/tools/go.sum" | sha256sum | cut -c1-16)
dest="$cache_root/tools/$key"
if [ -x "$dest/$name" ]; then
  echo "$dest/$name"
  exit 0
fi

mkdir -p "$dest"
echo "tool.sh: building $name from hack/tools/go.mod (once per machine, a few minutes cold)" >&2
start=$(date +%s)
# A lock keeps parallel test packages from building the same tool twice.
exec 9>"$dest/.lock"
flock 9
if [ ! -x "$dest/$name" ]; then
  (cd "$here/tools" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$dest/$name.tmp" "$pkg" >&2)
  mv "$dest/$name.tmp" "$dest/$name"
  echo "tool.sh: $name done after $(( $(date +%s) - start ))s" >&2
fi
echo "$dest/$name"
