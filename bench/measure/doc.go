// Package measure turns the benchmark's raw evidence (the driver's write log
// and the emulator's call log) into figures: latencies matched from a write
// to the AWS call that carried it, percentiles, call counts, and the floors
// that AWS's API rate limits put under a figure. Everything here is a pure
// function of its inputs, so a reviewer can recompute each figure from the
// JSONL files the harness writes.
package measure
