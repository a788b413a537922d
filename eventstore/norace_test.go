//go:build !race

package eventstore

// raceAllocs is 0 without the race detector (see race_test.go).
const raceAllocs = 0
