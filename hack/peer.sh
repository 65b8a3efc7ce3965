#!/usr/bin/env bash
# Builds the peer, the AWS Load Balancer Controller, from source at a pinned
# release, and caches it outside the repo keyed by its commit, as
# hack/kube-assets.sh caches the Kubernetes binaries. Prints the cache
# directory, which holds:
#   controller   the binary
#   crds/        the CRDs of its chart (helm/aws-load-balancer-controller/crds)
#   version      `git describe --tags` of the source, and its commit
#
# Where the source comes from, in order:
#   1. PEER_SRC, a checkout (a git worktree or clone; `git archive` output
#      needs PEER_COMMIT set to the commit it was made from);
#   2. the last build in the cache (the `current` pointer), without
#      touching the network;
#   3. a shallow clone of PEER_VERSION from GitHub.
#
# The Go module proxy cannot serve it: the module path has no major-version
# suffix, so v2 and later are not modules there, and commit pseudo-versions
# are refused. Its dependencies do come from the proxy. A cold build takes
# about 4 minutes on 2 cores; warm runs only check the cache.
set -euo pipefail

PEER_VERSION=${PEER_VERSION:-v3.5.0}
PEER_REPO=${PEER_REPO:-https://github.com/kubernetes-sigs/aws-load-balancer-controller}

cache_root=${TGC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tgc}
root="$cache_root/peer"
log() { echo "peer.sh: $*" >&2; }
have() { [ -x "$1/controller" ] && [ -f "$1/crds/crds.yaml" ] && [ -f "$1/version" ]; }

mkdir -p "$root"
# A lock keeps parallel test packages from building the peer twice.
exec 9>"$root/.lock"
flock 9

src=${PEER_SRC:-}
if [ -z "$src" ] && [ -f "$root/current" ]; then
  dest="$root/$(cat "$root/current")"
  if have "$dest"; then
    echo "$dest"
    exit 0
  fi
fi
if [ -z "$src" ]; then
  src="$root/src-$PEER_VERSION"
  if [ ! -d "$src/.git" ]; then
    log "no PEER_SRC and no cached build; cloning $PEER_REPO at $PEER_VERSION"
    rm -rf "$src"
    if ! git clone --quiet --depth 1 --branch "$PEER_VERSION" "$PEER_REPO" "$src" >&2; then
      rm -rf "$src"
      log "cannot clone $PEER_REPO (no network to GitHub?)."
      log "Point PEER_SRC at a checkout of the AWS Load Balancer Controller and run again:"
      log "  PEER_SRC=/path/to/aws-load-balancer-controller bash hack/peer.sh   (or make bench-peer)"
      exit 1
    fi
  fi
fi
if [ ! -f "$src/main.go" ] || [ ! -f "$src/helm/aws-load-balancer-controller/crds/crds.yaml" ]; then
  log "$src is not a checkout of the AWS Load Balancer Controller (no main.go or chart CRDs)"
  exit 1
fi

commit=${PEER_COMMIT:-$(git -C "$src" rev-parse HEAD 2>/dev/null || true)}
if [ -z "$commit" ]; then
  log "cannot tell the commit of $src; set PEER_COMMIT (the cache is keyed by it)"
  exit 1
fi
describe=$(git -C "$src" describe --tags --always 2>/dev/null || echo "$commit")
dest="$root/$commit"
if ! have "$dest"; then
  log "building the AWS Load Balancer Controller $describe from $src (about 4 min cold)"
  start=$(date +%s)
  mkdir -p "$dest/crds"
  pkg=sigs.k8s.io/aws-load-balancer-controller/v3/pkg/version
  # Its go.mod has no vendor directory; -mod=mod lets the proxy fill
  # go.sum gaps without writing to a read-only checkout's module cache.
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build \
    -ldflags "-s -w -X $pkg.GitVersion=$describe -X $pkg.GitCommit=$commit" \
    -o "$dest/controller.tmp" . >&2)
  cp "$src"/helm/aws-load-balancer-controller/crds/crds.yaml "$dest/crds/"
  printf '%s %s\n' "$describe" "$commit" >"$dest/version"
  mv "$dest/controller.tmp" "$dest/controller"
  log "built after $(( $(date +%s) - start ))s"
fi
echo "$commit" >"$root/current"
echo "$dest"
