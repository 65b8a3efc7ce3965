// Package scenario is the cluster-scale benchmark driver behind tgc-bench
// (`make bench`, `make bench-quick`); bench/README.md says what each
// scenario runs and measures, and BENCHMARKS.md holds the figures.
package scenario
