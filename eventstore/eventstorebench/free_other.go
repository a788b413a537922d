//go:build !linux && !darwin

package eventstorebench

import "errors"

// freeBytes cannot tell the free space on this system: a caller falls
// back as it would for a database on another host.
func freeBytes(string) (int64, error) {
	return 0, errors.New("free space: not known on this system")
}
