//go:build race

package eventstore

// raceAllocs is how many more allocations the race detector's build
// counts in Prepare of one event (TestPrepareSingleEventAllocs).
const raceAllocs = 2
