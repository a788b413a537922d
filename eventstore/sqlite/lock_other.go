//go:build !unix

package sqlite

// lockFile is a no-op where flock(2) is not available: one rebuild at a
// time is then the operator's to ensure.
func lockFile(string) (unlock func(), err error) { return func() {}, nil }
