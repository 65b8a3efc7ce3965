// Package sample reads a running process from the outside: resident
// memory and CPU time from /proc, and gauges from its Prometheus /metrics
// text, sampled on a timer so that peaks between reads are not missed
// (VmHWM catches the true peak regardless).
package sample
