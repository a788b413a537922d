package api_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
)

// TestIdempotencyKeyReplays: a POST repeating a key returns the first
// response and records nothing new.
func TestIdempotencyKeyReplays(t *testing.T) {
	h := newHarness(t)
	key := header{"Idempotency-Key", "5b0c1f4e-nomination-1"}
	first := h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated, key)
	n := len(h.events())
	again := h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated, key)
	if !bytes.Equal(first.raw, again.raw) {
		t.Errorf("the replay differs:\nfirst  %s\nreplay %s", first.raw, again.raw)
	}
	for _, k := range []string{"ETag", "Location", "Content-Type"} {
		if first.header.Get(k) != again.header.Get(k) {
			t.Errorf("replayed %s = %q, want %q", k, again.header.Get(k), first.header.Get(k))
		}
	}
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the replay is not marked Idempotent-Replayed")
	}
	if again.header.Get("X-Request-ID") == first.header.Get("X-Request-ID") {
		t.Errorf("the replay repeats the first request's id; it has its own")
	}
	if got := len(h.events()); got != n {
		t.Errorf("the replay appended %d events", got-n)
	}
	// Another caller's key is another key; no key at all is no replay.
	h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated)
	if got := len(h.events()); got != n+1 {
		t.Errorf("a request without a key appended %d events, want 1", got-n)
	}
}

// TestIdempotencyKeyRefusalsReplay: a refused request is answered the same
// way again, and still records nothing.
func TestIdempotencyKeyRefusalsReplay(t *testing.T) {
	h := newHarness(t)
	asset, nom := h.listedAsset()
	key := header{"Idempotency-Key", "decide-twice"}
	first := h.post("/v1/assets/"+asset+"/nominations/"+nom+"/decision", map[string]any{"outcome": "listed"}, key)
	again := h.post("/v1/assets/"+asset+"/nominations/"+nom+"/decision", map[string]any{"outcome": "listed"}, key)
	wantProblem(t, "second decision", first, http.StatusUnprocessableEntity)
	if !bytes.Equal(first.raw, again.raw) || again.status != first.status {
		t.Errorf("the replay of a refusal differs: %d %s, then %d %s", first.status, first.raw, again.status, again.raw)
	}
}

// TestIdempotencyKeyConcurrent: concurrent requests with one key execute
// once; every one of them gets the first response.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	h := newHarness(t)
	const n = 8
	replies := make([]reply, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			replies[i] = h.post("/v1/councils/E07000228/nominations", nominationBody(), header{"Idempotency-Key", "same-key"})
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range replies {
		if r.status != http.StatusCreated || !bytes.Equal(r.raw, replies[0].raw) {
			t.Errorf("request %d: %d %s, want the first response %s", i, r.status, r.raw, replies[0].raw)
		}
	}
	if es := h.events(); len(es) != 1 {
		t.Errorf("%d concurrent requests with one key appended %d events, want 1", n, len(es))
	}
}
