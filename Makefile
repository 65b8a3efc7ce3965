# The README's commands. `make demo` and `make test` do all the setup on a
# fresh machine: the first run builds the pinned Kubernetes binaries (~11 min
# on 2 cores) into a cache outside the repo; later runs reuse them.
SHELL := /usr/bin/env bash
GO ?= go
CONTROLLER_GEN := $(GO) tool controller-gen
# Tests run packages two at a time: each integration package starts its own
# control plane, and the machine has two cores.
TEST_FLAGS ?= -race -count=1 -p 2 -timeout 45m

.PHONY: all build test unit verify verify-generated generate kube-assets demo bench clean

all: build

build:
	$(GO) build -o bin/ ./cmd/...

## kube-assets: build (once) and print the cached etcd/kube-apiserver/kube-controller-manager dir
kube-assets:
	@bash hack/kube-assets.sh

## test: every unit, integration and end-to-end test (the command CI runs)
test: verify
	@assets=$$(bash hack/kube-assets.sh) && \
	  echo "KUBEBUILDER_ASSETS=$$assets" && \
	  KUBEBUILDER_ASSETS="$$assets" $(GO) test $(TEST_FLAGS) ./...

## unit: only the tests that need no control plane (fast feedback)
unit:
	$(GO) test -race -count=1 -short ./...

## verify: formatting, vet, and generated code up to date
verify: verify-generated
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## generate: deepcopy, CRDs, RBAC and webhook manifests from kubebuilder markers
generate:
	$(CONTROLLER_GEN) object paths=./api/...
	$(CONTROLLER_GEN) crd rbac:roleName=targetgroupcontroller paths=./api/... paths=./internal/... \
	  output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac

## verify-generated: fail when `make generate` would change a tracked file
verify-generated:
	@bash hack/verify-generated.sh

## demo: local control plane + ELBv2 emulator + controller + sample app, end to end
demo:
	$(GO) run ./cmd/tgc-demo

## bench: Go benchmarks (emulator hot paths, plan/diff, sync latency)
bench:
	@assets=$$(bash hack/kube-assets.sh) && \
	  KUBEBUILDER_ASSETS="$$assets" $(GO) test -run '^$$' -bench . -benchmem -p 1 ./...

clean:
	rm -rf bin
