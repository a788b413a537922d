package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/projections"
)

// sseEvent is one event of a live stream.
type sseEvent struct {
	id, event, data string
}

// sseClient reads a live stream over a real HTTP connection.
type sseClient struct {
	t      *testing.T
	events chan sseEvent
	cancel context.CancelFunc
	ended  chan struct{} // closed when the body ends
	mu     sync.Mutex
	raw    bytes.Buffer // everything read
}

// openStream opens GET path with the given "Key: value" headers, and fails
// the test unless it is answered with a stream.
func openStream(t *testing.T, base, path string, headers ...string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		resp.Body.Close()
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{t: t, events: make(chan sseEvent, 100), cancel: cancel, ended: make(chan struct{})}
	go func() {
		defer close(c.ended)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			c.raw.WriteString(line + "\n")
			c.mu.Unlock()
			switch {
			case line == "":
				if e.id != "" || e.data != "" {
					c.events <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				e.data = line[6:]
			}
		}
	}()
	t.Cleanup(c.close)
	return c
}

func (c *sseClient) close() { c.cancel(); <-c.ended }

// next returns the next event, failing the test after a few seconds.
func (c *sseClient) next() sseEvent {
	c.t.Helper()
	select {
	case e := <-c.events:
		return e
	case <-time.After(10 * time.Second):
		c.t.Fatal("no event on the stream in 10s")
	}
	return sseEvent{}
}

// none checks that no event arrives for a moment.
func (c *sseClient) none() {
	c.t.Helper()
	select {
	case e := <-c.events:
		c.t.Errorf("an unexpected event on the stream: %+v", e)
	case <-time.After(300 * time.Millisecond):
	}
}

// text returns everything the stream has sent so far.
func (c *sseClient) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw.String()
}

// public decodes an event's data.
func (e sseEvent) public(t *testing.T) projections.PublicEvent {
	t.Helper()
	var pe projections.PublicEvent
	if err := json.Unmarshal([]byte(e.data), &pe); err != nil {
		t.Fatalf("event data is not a public event: %v: %s", err, e.data)
	}
	if strconv.FormatInt(pe.Position, 10) != e.id || pe.Type != e.event {
		t.Errorf("event id %s / type %s, data says %d / %s", e.id, e.event, pe.Position, pe.Type)
	}
	return pe
}

// TestStream: a real client sees what is recorded after it connected,
// filtered by council or asset, with no personal data, and resumes after
// the last id it saw without repeats.
func TestStream(t *testing.T) {
	forEachStack(t, false, func(t *testing.T, st *integrationStack) {
		a1, n1 := st.nominate(demo.MidSussex, nominationRequestBody("The Bell")) // before anyone listens

		all := openStream(t, st.srv.URL, "/v1/stream")
		westminster := openStream(t, st.srv.URL, "/v1/stream?council="+demo.Westminster)
		bell := openStream(t, st.srv.URL, "/v1/stream?asset_id="+a1)

		a2, _ := st.nominate(demo.MidSussex, personalNomination("The Crown"))
		first := all.next()
		pe := first.public(t)
		if pe.AssetID != a2 || pe.Council != demo.MidSussex || first.event != domain.TypeNominationReceived {
			t.Errorf("first event %+v", pe)
		}
		all.close() // the client goes, having seen first

		a3, _ := st.nominate(demo.Westminster, nominationRequestBody("The Swan"))
		st.must(http.StatusCreated, "POST", "/v1/assets/"+a1+"/nominations/"+n1+"/decision",
			map[string]any{"outcome": "listed", "decided_on": "2025-02-20"})

		if pe := westminster.next().public(t); pe.AssetID != a3 || pe.Council != demo.Westminster {
			t.Errorf("the Westminster stream got %+v", pe)
		}
		westminster.none()
		if e := bell.next(); e.event != domain.TypeNominationDecided || e.public(t).AssetID != a1 {
			t.Errorf("the asset's stream got %+v", e)
		}
		bell.none()

		// Resuming after first: the two later events, in order, once;
		// Last-Event-ID wins over ?after=.
		again := openStream(t, st.srv.URL, "/v1/stream?after=0", "Last-Event-ID: "+first.id)
		if pe := again.next().public(t); pe.AssetID != a3 {
			t.Errorf("resumed with %+v, want a3's nomination", pe)
		}
		if pe := again.next().public(t); pe.AssetID != a1 || pe.Type != domain.TypeNominationDecided {
			t.Errorf("then %+v, want a1's decision", pe)
		}
		again.none()

		// From the start: all four, in the log's order, and nothing personal.
		whole := openStream(t, st.srv.URL, "/v1/stream?after=0")
		var last int64
		for range 4 {
			pe := whole.next().public(t)
			if pe.Position <= last && st.d == "sqlite" {
				t.Errorf("position %d after %d", pe.Position, last)
			}
			last = pe.Position
		}
		whole.none()
		for _, p := range personalData {
			if strings.Contains(whole.text(), p) {
				t.Errorf("the stream shows personal data %q", p)
			}
		}
		if !strings.Contains(whole.text(), "Friends of The Crown") {
			t.Errorf("the stream lacks the nominator's name:\n%s", whole.text())
		}

		// Shutdown ends open streams cleanly and refuses new ones.
		st.server.CloseStreams()
		select {
		case <-whole.ended:
		case <-time.After(5 * time.Second):
			t.Fatal("CloseStreams did not end an open stream")
		}
		if g := st.send("GET", "/v1/stream", "", nil); g.status != http.StatusServiceUnavailable || g.header.Get("Retry-After") == "" {
			t.Errorf("a stream after shutdown: %d %v", g.status, g.header)
		}
	})
}

// TestStreamRefusesBadStarts: the start of a stream is checked before it
// begins.
func TestStreamRefusesBadStarts(t *testing.T) {
	st := newIntegrationStack(t, "sqlite", false)
	st.nominate(demo.MidSussex, nominationRequestBody("The Bell"))
	for _, tt := range []struct {
		path, lastEventID, field string
	}{
		{"/v1/stream?after=-1", "", "after"},
		{"/v1/stream?after=x", "", "after"},
		{"/v1/stream?after=999", "", "after"},
		{"/v1/stream", "abc", "Last-Event-ID"},
		{"/v1/stream", "-3", "Last-Event-ID"},
		{"/v1/stream?council=a%20b", "", "council"},
		{"/v1/stream?asset_id=" + strings.Repeat("x", 65), "", "asset_id"},
	} {
		req, _ := http.NewRequest("GET", st.srv.URL+tt.path, nil)
		if tt.lastEventID != "" {
			req.Header.Set("Last-Event-ID", tt.lastEventID)
		}
		resp, err := st.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Errors []struct{ Field string } `json:"errors"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || len(p.Errors) == 0 || p.Errors[0].Field != tt.field {
			t.Errorf("%s (Last-Event-ID %q) = %d %+v, want 400 on %s", tt.path, tt.lastEventID, resp.StatusCode, p, tt.field)
		}
	}
}
