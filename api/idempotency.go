package api

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// IdempotencyStore remembers the first response to each idempotency key, so
// that a POST repeated with the same Idempotency-Key returns that response and
// records nothing new (api.md). Keys reach the store already scoped to one
// caller.
//
// [MemoryIdempotency] lives in the process: a client that retries against
// another node of a multi-node deployment is not protected by it.
// [SQLIdempotency] keeps the keys in the log's database, shared by every
// node; `acv serve` uses it.
type IdempotencyStore interface {
	// Acquire claims key for one request. If a response is stored under key
	// it returns it, with a nil release. Otherwise it returns a release
	// function that the caller must call exactly once when the request is
	// done: with the response to store, or nil to forget the key (a server
	// fault, which a retry should run again). While one request holds a
	// key, Acquire for the same key waits until it is released or ctx is
	// done, so two requests with one key never both execute.
	Acquire(ctx context.Context, key string) (stored *StoredResponse, release func(*StoredResponse), err error)
}

// StoredResponse is a response kept for an idempotency key.
type StoredResponse struct {
	// Fingerprint identifies the request that made the response (method,
	// path, query and body); a key sent again with another request is
	// refused.
	Fingerprint string
	Status      int
	Header      http.Header
	Body        []byte
}

// MemoryIdempotency is an [IdempotencyStore] in the process's memory. It
// keeps at most Max responses, each for TTL; when full it forgets the oldest.
// It is safe for concurrent use.
type MemoryIdempotency struct {
	now func() time.Time
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[string]*idemEntry
	done    *list.List // keys of stored responses, oldest first
}

type idemEntry struct {
	busy   chan struct{} // closed when the holding request releases the key
	resp   *StoredResponse
	stored time.Time
	elem   *list.Element
}

// NewMemoryIdempotency returns an empty store that keeps at most max
// responses, each for ttl by the clock now.
func NewMemoryIdempotency(now func() time.Time, ttl time.Duration, max int) *MemoryIdempotency {
	return &MemoryIdempotency{now: now, ttl: ttl, max: max, entries: map[string]*idemEntry{}, done: list.New()}
}

// Acquire implements [IdempotencyStore].
func (m *MemoryIdempotency) Acquire(ctx context.Context, key string) (*StoredResponse, func(*StoredResponse), error) {
	for {
		m.mu.Lock()
		m.expire()
		e := m.entries[key]
		if e == nil {
			e = &idemEntry{busy: make(chan struct{})}
			m.entries[key] = e
			m.mu.Unlock()
			var once sync.Once
			return nil, func(resp *StoredResponse) { once.Do(func() { m.release(key, e, resp) }) }, nil
		}
		if e.resp != nil {
			resp := e.resp
			m.mu.Unlock()
			return resp, nil, nil
		}
		busy := e.busy
		m.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("wait for idempotency key: %w", ctx.Err())
		}
	}
}

func (m *MemoryIdempotency) release(key string, e *idemEntry, resp *StoredResponse) {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer close(e.busy)
	if resp == nil {
		delete(m.entries, key)
		return
	}
	e.resp, e.stored = resp, m.now()
	e.elem = m.done.PushBack(key)
	for m.done.Len() > m.max {
		m.forget(m.done.Front())
	}
}

// expire forgets responses older than the TTL. The caller holds m.mu.
func (m *MemoryIdempotency) expire() {
	now := m.now()
	for el := m.done.Front(); el != nil; el = m.done.Front() {
		if now.Sub(m.entries[el.Value.(string)].stored) < m.ttl {
			return
		}
		m.forget(el)
	}
}

func (m *MemoryIdempotency) forget(el *list.Element) {
	delete(m.entries, el.Value.(string))
	m.done.Remove(el)
}

// Limits of idempotency keys.
const (
	maxIdempotencyKey   = 255      // characters
	maxStoredBody       = 64 << 10 // a larger response is not kept
	idempotencyTTL      = 24 * time.Hour
	idempotencyMaxKeys  = 10000
	idempotencyKeyField = "Idempotency-Key"
)

// storedHeaders are the response headers a replay repeats; the others (the
// request id, security headers) belong to the replaying request.
var storedHeaders = []string{"Content-Type", "ETag", "Location", "Cache-Control", "Accept-Post", "Www-Authenticate"}

// idempotent runs h at most once per Idempotency-Key of the caller: the first
// request with a key runs, later ones (also concurrent ones, which wait)
// receive its response with Idempotent-Replayed: true. A key repeated with a
// different request is refused with 422. Responses to server faults and
// conflicts (5xx, 408, 409, 429) are not kept, so a retry runs again.
func (s *Server) idempotent(caller Caller, w http.ResponseWriter, r *http.Request, h http.Handler) error {
	key := strings.Trim(strings.TrimSpace(r.Header.Get(idempotencyKeyField)), `"`)
	if key == "" {
		h.ServeHTTP(w, r)
		return nil
	}
	if len(key) > maxIdempotencyKey || strings.IndexFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
		return invalidInput(FieldError{Field: idempotencyKeyField, Message: "must be 1 to 255 visible ASCII characters, such as a UUID"})
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeProblem(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	fingerprint := r.Method + " " + r.URL.RequestURI() + " " + hex.EncodeToString(sum[:])
	scope := sha256.Sum256([]byte(caller.Role + "\x00" + caller.Org + "\x00" + caller.TokenID + "\x00" + key))

	stored, release, err := s.idem.Acquire(r.Context(), hex.EncodeToString(scope[:]))
	if err != nil && r.Context().Err() == nil {
		return fmt.Errorf("idempotency key: %w", err) // the store failed: a server fault
	}
	if err != nil {
		// The request ended (the client went away) while an earlier one
		// with the key was still running: not a server fault.
		return &Problem{Status: http.StatusConflict, Title: "Request in progress",
			Detail: "a request with this Idempotency-Key is still being handled; retry it later"}
	}
	if stored != nil {
		if stored.Fingerprint != fingerprint {
			return &Problem{Type: TypeIdempotencyKey, Status: http.StatusUnprocessableEntity, Title: "Idempotency key reused",
				Detail: "this Idempotency-Key was used for a different request; use a new key for a new request"}
		}
		for k, vs := range stored.Header {
			w.Header()[k] = vs
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(stored.Status)
		_, _ = w.Write(stored.Body)
		return nil
	}
	released := false
	defer func() {
		if !released {
			release(nil) // h panicked: forget the key, and let a retry run
		}
	}()
	rec := &teeWriter{ResponseWriter: w}
	h.ServeHTTP(rec, r)
	released = true
	if !keepResponse(rec.status) || rec.overflow {
		release(nil)
		return nil
	}
	hdr := http.Header{}
	for _, k := range storedHeaders {
		if vs := rec.header.Values(k); len(vs) > 0 {
			hdr[k] = vs
		}
	}
	release(&StoredResponse{Fingerprint: fingerprint, Status: rec.status, Header: hdr, Body: rec.body.Bytes()})
	return nil
}

func keepResponse(status int) bool {
	switch {
	case status == 0, status >= 500:
		return false
	case status == http.StatusRequestTimeout, status == http.StatusConflict, status == http.StatusTooManyRequests:
		return false
	}
	return true
}

// teeWriter passes a response through and keeps a copy of it.
type teeWriter struct {
	http.ResponseWriter
	status   int
	header   http.Header
	body     bytes.Buffer
	overflow bool
}

func (t *teeWriter) WriteHeader(status int) {
	if t.status == 0 {
		t.status = status
		t.header = t.ResponseWriter.Header().Clone()
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *teeWriter) Write(b []byte) (int, error) {
	if t.status == 0 {
		t.WriteHeader(http.StatusOK)
	}
	if t.body.Len()+len(b) > maxStoredBody {
		t.overflow = true
	} else {
		t.body.Write(b)
	}
	return t.ResponseWriter.Write(b)
}

// Unwrap lets [http.ResponseController] reach the underlying writer.
func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
