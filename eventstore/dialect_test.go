package eventstore

import "testing"

func TestRebind(t *testing.T) {
	q := "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"
	if got := Postgres.Rebind(q); got != "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)" {
		t.Errorf("Postgres.Rebind = %q", got)
	}
	if got := SQLite.Rebind(q); got != q {
		t.Errorf("SQLite.Rebind = %q, want it unchanged", got)
	}
}
