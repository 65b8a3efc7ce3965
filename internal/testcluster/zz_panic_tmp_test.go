package testcluster

import "testing"

func TestZZPanics(t *testing.T) { panic("boom") }
