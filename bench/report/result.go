package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// Result is everything one scenario run measured.
type Result struct {
	Scenario string    `json:"scenario"`
	Scale    string    `json:"scale"` // "full" or "quick"
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Commit   string    `json:"commit"`
	Machine  Machine   `json:"machine"`
	// Buckets are the emulator's throttle buckets during the measured
	// part; every floor is computed from them.
	Buckets emulator.Throttle `json:"emulatorBuckets"`
	// Params are the scale parameters (bindings, endpoints, rates, ...).
	Params map[string]any `json:"params"`
	// Figures are the measurements, keyed by name.
	Figures map[string]any `json:"figures"`
	// Targets are the figures tgc promises for this scenario and whether
	// this run met them.
	Targets []Target `json:"targets"`
	// Headline is the short text of the BENCHMARKS.md row.
	Headline string `json:"headline"`
	// Notes explain anything a reader of the figures must know (a null
	// ratio, a measurement limit).
	Notes []string `json:"notes,omitempty"`
	// Evidence lists the raw files written next to the JSON.
	Evidence []string `json:"evidence,omitempty"`
	// ControllerLog is where the controller's log was kept; it is removed
	// after a successful run, so it is not part of the JSON.
	ControllerLog string `json:"-"`
}

// Target is one promised figure, checked.
type Target struct {
	Name     string `json:"name"`
	Goal     string `json:"goal"`     // e.g. "<= 1.2x the Describe floor"
	Measured string `json:"measured"` // the figure, as text
	// Met is nil when the figure could not be measured (e.g. no floor).
	Met *bool `json:"met"`
}

// Check builds a Target.
func Check(name, goal, measured string, met bool) Target {
	return Target{Name: name, Goal: goal, Measured: measured, Met: &met}
}

// Unchecked builds a Target that could not be judged, and says why.
func Unchecked(name, goal, why string) Target {
	return Target{Name: name, Goal: goal, Measured: why}
}

// AllMet reports whether every checked target was met, and how many
// targets were checked.
func (r *Result) AllMet() (met bool, checked int) {
	met = true
	for _, t := range r.Targets {
		if t.Met == nil {
			continue
		}
		checked++
		met = met && *t.Met
	}
	return met, checked
}

// Path is where a scenario's JSON goes: dir/<scenario>.json at full scale,
// dir/quick/<scenario>.json at quick scale.
func Path(dir, scale, scenario string) string {
	if scale == "quick" {
		dir = filepath.Join(dir, "quick")
	}
	return filepath.Join(dir, scenario+".json")
}

// Write writes r as indented JSON to Path(dir, r.Scale, r.Scenario).
func Write(dir string, r *Result) (string, error) {
	path := Path(dir, r.Scale, r.Scenario)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding the %s result: %w", r.Scenario, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

// WriteJSONL writes one JSON value per line to path.
func WriteJSONL[T any](path string, items []T) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	enc := json.NewEncoder(f)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
