package api

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of the write side's unexported parts: the idempotency store, the
// access policy and panic recovery.

func TestMemoryIdempotencyStoresAndExpires(t *testing.T) {
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	m := NewMemoryIdempotency(clock, time.Hour, 2)
	ctx := context.Background()

	store := func(key, body string) {
		t.Helper()
		got, release, err := m.Acquire(ctx, key)
		if err != nil || got != nil {
			t.Fatalf("Acquire(%s) = %v, %v; want a fresh key", key, got, err)
		}
		release(&StoredResponse{Status: 201, Body: []byte(body)})
	}
	stored := func(key string) string {
		t.Helper()
		got, release, err := m.Acquire(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil {
			release(nil)
			return ""
		}
		return string(got.Body)
	}

	store("a", "A")
	if got := stored("a"); got != "A" {
		t.Errorf("stored(a) = %q, want A", got)
	}
	store("b", "B")
	store("c", "C") // over the bound: the oldest goes
	if got := stored("a"); got != "" {
		t.Errorf("the oldest key survived the bound: %q", got)
	}
	if got := stored("c"); got != "C" {
		t.Errorf("stored(c) = %q, want C", got)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if got := stored("c"); got != "" {
		t.Errorf("a key outlived its TTL: %q", got)
	}
}

func TestMemoryIdempotencyForgetsFailures(t *testing.T) {
	m := NewMemoryIdempotency(time.Now, time.Hour, 10)
	ctx := context.Background()
	_, release, _ := m.Acquire(ctx, "k")
	release(nil)
	release(nil) // a second release is harmless
	got, release, err := m.Acquire(ctx, "k")
	if err != nil || got != nil || release == nil {
		t.Fatalf("after a forgotten response Acquire = %v, %v; want the key free", got, err)
	}
	release(nil)
}

func TestMemoryIdempotencyWaitsForTheHolder(t *testing.T) {
	m := NewMemoryIdempotency(time.Now, time.Hour, 10)
	_, release, _ := m.Acquire(context.Background(), "k")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := m.Acquire(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Acquire of a held key = %v, want to wait until the context ends", err)
	}

	done := make(chan *StoredResponse)
	go func() {
		got, _, _ := m.Acquire(context.Background(), "k")
		done <- got
	}()
	time.Sleep(10 * time.Millisecond)
	release(&StoredResponse{Status: 201, Body: []byte("first")})
	if got := <-done; got == nil || string(got.Body) != "first" {
		t.Errorf("a waiting request got %v, want the first response", got)
	}
}

func TestAuthorize(t *testing.T) {
	for _, tt := range []struct {
		caller Caller
		status int
	}{
		{Caller{}, http.StatusUnauthorized},
		{Caller{Role: RoleAdministrator, Org: "registry", TokenID: "admin"}, 0},
		{Caller{Role: RoleCouncilOfficer, Org: "E07000228", TokenID: "t1"}, 0},
		{Caller{Role: RoleCouncilOfficer, Org: "E09000033", TokenID: "t1"}, http.StatusForbidden},
		{Caller{Role: RoleCommunityGroup, Org: "g1", TokenID: "t2"}, http.StatusForbidden},
		{Caller{Role: RoleOwner, Org: "o1", TokenID: "t3"}, http.StatusForbidden},
	} {
		err := authorize(tt.caller, actDecideNomination, target{council: "E07000228"})
		var p *Problem
		switch {
		case tt.status == 0 && err != nil:
			t.Errorf("authorize(%+v) = %v, want nil", tt.caller, err)
		case tt.status != 0 && (!errors.As(err, &p) || p.Status != tt.status):
			t.Errorf("authorize(%+v) = %v, want a %d problem", tt.caller, err, tt.status)
		}
	}
}

func TestPanicIsA500Problem(t *testing.T) {
	var logs bytes.Buffer
	s := New(Deps{Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	s.router.HandleFunc("/boom", func(http.ResponseWriter, *http.Request) { panic("secret internal state") })
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("a panic answered %d %q, want a 500 problem", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("the 500 leaks the panic: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "secret internal state") {
		t.Errorf("the panic was not logged: %s", logs.String())
	}
	if !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("the access log does not show the 500: %s", logs.String())
	}
}

func TestIfMatchParsing(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   int64
		bad    bool
	}{
		{"", -1, false}, {"*", -1, false}, {`"7"`, 7, false}, {"7", 7, false},
		{`W/"7"`, 0, true}, {`"7", "8"`, 0, true}, {"seven", 0, true}, {"-2", 0, true},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		if tt.header != "" {
			r.Header.Set("If-Match", tt.header)
		}
		got, err := ifMatch(r)
		if (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
			t.Errorf("ifMatch(%q) = %d, %v; want %d, bad=%v", tt.header, got, err, tt.want, tt.bad)
		}
	}
}
