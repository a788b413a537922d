package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestGCDefaults: every acv process collects garbage at gcPercent with a
// soft limit of memoryLimit, unless GOGC or GOMEMLIMIT set their own,
// which Go has applied and gcDefaults leaves as they are.
func TestGCDefaults(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	gcDefaults(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("without GOGC the collector's target is %d%%, want %d%%", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != memoryLimit {
		t.Errorf("without GOMEMLIMIT the soft memory limit is %d, want %d", got, int64(memoryLimit))
	}
	env := map[string]string{"GOGC": "100", "GOMEMLIMIT": "off"}
	gcDefaults(func(k string) string { return env[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the collector's target is %d%%, want GOGC's (here 100%%)", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set the soft memory limit is %d, want GOMEMLIMIT's (here none)", got)
	}
}
