package eventstore_test

import (
	"testing"
	"testing/fstest"

	"github.com/acv-registry/acv/eventstore"
)

func TestCanonicalJSON(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"b":1, "a":[true,null,"x"]}`, `{"a":[true,null,"x"],"b":1}`},
		{`{"html":"<pub> & garden"}`, `{"html":"<pub> & garden"}`}, // no HTML escaping, as jsonb returns it
		{`{"n":1e2,"m":1.50,"k":-2.5E-3}`, `{"k":-0.0025,"m":1.50,"n":100}`},
		{`{"é":"\u00e9"}`, `{"é":"é"}`},
	} {
		got, err := eventstore.CanonicalJSON([]byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("CanonicalJSON(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`{"a":`, `{} {}`, ``} {
		if _, err := eventstore.CanonicalJSON([]byte(bad)); err == nil {
			t.Errorf("CanonicalJSON(%q) accepted malformed JSON", bad)
		}
	}
}

func TestLoadMigrationsRefusesGapsAndBadNames(t *testing.T) {
	ok := fstest.MapFS{"m/0001_a.sql": {Data: []byte("a")}, "m/0002_b.sql": {Data: []byte("b")}}
	ms, err := eventstore.LoadMigrations(ok, "m")
	if err != nil || len(ms) != 2 || ms[1].Version != 2 {
		t.Fatalf("LoadMigrations = %+v, %v", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":      {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"bad name": {"m/first.sql": {}},
		"zero":     {"m/0000_a.sql": {}},
	} {
		if _, err := eventstore.LoadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: LoadMigrations accepted it", name)
		}
	}
}

func TestSignalWakesEveryWaiter(t *testing.T) {
	var s eventstore.Signal
	a, b := s.Wait(), s.Wait()
	s.Notify()
	for _, ch := range []<-chan struct{}{a, b} {
		select {
		case <-ch:
		default:
			t.Fatal("a waiter was not woken")
		}
	}
	select {
	case <-s.Wait():
		t.Fatal("a new waiter was woken by an old notification")
	default:
	}
}
