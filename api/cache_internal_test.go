package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

type fakeCheckpoint struct{ pos atomic.Int64 }

func (f *fakeCheckpoint) Position() int64 { return f.pos.Load() }

// TestResponseCacheHoldsWhileTheCheckpointStands: a public read is rendered
// once per checkpoint; a new checkpoint, a caller, a conditional request or
// ?min_position= renders it afresh, and errors are never cached.
func TestResponseCacheHoldsWhileTheCheckpointStands(t *testing.T) {
	cp := &fakeCheckpoint{}
	s := &Server{Deps: Deps{Checkpoints: cp, Now: func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }}, cache: newResponseCache()}
	var renders atomic.Int64
	h := s.cached(func(w http.ResponseWriter, r *http.Request) error {
		n := renders.Add(1)
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusNotFound)
			return nil
		}
		w.Header().Set("X-Request-Id", fmt.Sprint("req-", n))
		fmt.Fprintf(w, "render %d at %d", n, cp.Position())
		return nil
	})
	get := func(target string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		if err := h(w, req); err != nil {
			t.Fatal(err)
		}
		return w
	}
	first := get("/v1/register?q=pub")
	again := get("/v1/register?q=pub")
	if renders.Load() != 1 || again.Body.String() != first.Body.String() || again.Header().Get("X-Cache") != "hit" {
		t.Fatalf("second read rendered again (%d renders) or differs: %q vs %q", renders.Load(), again.Body, first.Body)
	}
	if cl := again.Header().Get("Content-Length"); cl != fmt.Sprint(again.Body.Len()) {
		t.Errorf("a cached answer's Content-Length %q, want its body's %d bytes", cl, again.Body.Len())
	}
	if again.Header().Get("X-Request-Id") != "" {
		t.Errorf("a cached answer replayed another request's id %q", again.Header().Get("X-Request-Id"))
	}
	get("/v1/register?q=inn") // another query is another entry
	cp.pos.Store(7)
	if got := get("/v1/register?q=pub").Body.String(); got != "render 3 at 7" {
		t.Errorf("after the checkpoint moved: %q, want a fresh render", got)
	}
	for _, h := range [][]string{{"Authorization", "Bearer x"}, {"If-None-Match", `"3"`}} {
		before := renders.Load()
		get("/v1/register?q=pub", h...)
		if renders.Load() != before+1 {
			t.Errorf("a request with %s was served from the cache", h[0])
		}
	}
	before := renders.Load()
	get("/v1/register?q=pub&min_position=7")
	get("/fail")
	get("/fail")
	if renders.Load() != before+3 {
		t.Errorf("min_position or an error answer was cached: %d renders, want %d", renders.Load(), before+3)
	}
}

// TestWriteJSONSaysItsLength: a JSON answer carries its length, so that a
// body past net/http's buffer (a register page: 60 KB) goes out whole,
// not in chunks.
func TestWriteJSONSaysItsLength(t *testing.T) {
	w := httptest.NewRecorder()
	v := map[string]string{"text": string(make([]byte, 10_000))}
	if err := writeJSON(w, http.StatusOK, v); err != nil {
		t.Fatal(err)
	}
	if cl := w.Header().Get("Content-Length"); cl != fmt.Sprint(w.Body.Len()) || w.Body.Len() < 10_000 {
		t.Errorf("Content-Length %q for a body of %d bytes", cl, w.Body.Len())
	}
}
