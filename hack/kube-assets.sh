#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from the Go module
# proxy at the versions in hack/versions.env, and caches them outside the repo,
# keyed by version. Prints the directory that holds them (for KUBEBUILDER_ASSETS).
#
# Warm runs only check that the binaries exist. Cold runs take ~11 min on
# 2 cores and print progress to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache_root=${TGC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tgc}
dest="$cache_root/kube-assets/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}"
work="$cache_root/kube-assets/src-k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}"

have_all() {
  [ -x "$dest/etcd" ] && [ -x "$dest/kube-apiserver" ] && [ -x "$dest/kube-controller-manager" ] && [ -e "$dest/kubectl" ]
}
if have_all; then
  echo "$dest"
  exit 0
fi

log() { echo "kube-assets: $*" >&2; }
mkdir -p "$dest" "$work"
export GOFLAGS=-mod=mod
start=$(date +%s)

if [ ! -x "$dest/etcd" ]; then
  log "building etcd $ETCD_VERSION (about 1 min cold)"
  mkdir -p "$work/etcd"
  cat >"$work/etcd/go.mod" <<EOM
module tgc.local/etcd

go 1.26
EOM
  cat >"$work/etcd/main.go" <<'EOM'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOM
  (cd "$work/etcd" && go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >&2 && go mod tidy >&2 && go build -o "$dest/etcd.tmp" . >&2)
  mv "$dest/etcd.tmp" "$dest/etcd"
  log "etcd done after $(( $(date +%s) - start ))s"
fi

if [ ! -x "$dest/kube-apiserver" ] || [ ! -x "$dest/kube-controller-manager" ]; then
  mod="$work/kube"
  mkdir -p "$mod/kube-apiserver" "$mod/kube-controller-manager"
  log "resolving k8s.io/kubernetes $KUBE_VERSION"
  kmod=$(cd "$mod" && GOFLAGS= go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  staging_ver="v0${KUBE_VERSION#v1}"
  {
    echo "module tgc.local/kube"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes ${KUBE_VERSION}"
    echo
    # Every staging module that k8s.io/kubernetes replaces with ./staging/...
    # is pinned to its published release instead.
    awk '/=> \.\/staging\//{print "replace " $1 " => " $1 " '"$staging_ver"'"}' "$kmod"
  } >"$mod/go.mod"
  for bin in kube-apiserver kube-controller-manager; do
    case $bin in
      kube-apiserver) ctor=NewAPIServerCommand ;;
      kube-controller-manager) ctor=NewControllerManagerCommand ;;
    esac
    cat >"$mod/$bin/main.go" <<EOM
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/$bin/app"
)

func main() { os.Exit(cli.Run(app.$ctor())) }
EOM
  done
  (cd "$mod" && go mod tidy >&2)
  minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/component-base/version.gitTreeState=clean"
  for bin in kube-apiserver kube-controller-manager; do
    if [ ! -x "$dest/$bin" ]; then
      log "building $bin $KUBE_VERSION (apiserver ~7 min cold, controller-manager ~3 min more)"
      (cd "$mod" && go build -ldflags "$ldflags" -o "$dest/$bin.tmp" "./$bin" >&2)
      mv "$dest/$bin.tmp" "$dest/$bin"
      log "$bin done after $(( $(date +%s) - start ))s"
    fi
  done
fi

if [ ! -e "$dest/kubectl" ]; then
  # envtest wants kubectl beside the servers; the machine's own is enough.
  if k=$(command -v kubectl); then ln -sf "$k" "$dest/kubectl"; else
    log "kubectl not found on PATH"; exit 1
  fi
fi
log "ready in $dest"
echo "$dest"
