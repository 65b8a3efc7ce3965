// Package report writes what a benchmark run found: one JSON file per
// scenario, and a row per (scenario, scale) in the table of BENCHMARKS.md,
// upserted between marker comments so that reruns replace their row and
// leave the others.
package report
