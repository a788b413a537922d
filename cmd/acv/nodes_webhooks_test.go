//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
)

// hookReceiver is a webhook receiver on an https loopback server: it
// records the CloudEvents it is sent, by id. The nodes trust its
// certificate through SSL_CERT_FILE.
type hookReceiver struct {
	srv      *httptest.Server
	certFile string

	mu     sync.Mutex
	bodies map[string][]byte // CloudEvents id -> the first body received
	counts map[string]int
	bad    []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{bodies: map[string][]byte{}, counts: map[string]int{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	r.certFile = filepath.Join(t.TempDir(), "receiver.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})
	if err := os.WriteFile(r.certFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// env is the environment that makes the nodes trust the receiver.
func (r *hookReceiver) env() []string { return []string{"SSL_CERT_FILE=" + r.certFile} }

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	var ce struct {
		SpecVersion string `json:"specversion"`
		ID          string `json:"id"`
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := json.Unmarshal(body, &ce); err != nil || ce.ID == "" || ce.SpecVersion != "1.0" {
		r.bad = append(r.bad, fmt.Sprintf("not a CloudEvent: %.300s", body))
		w.WriteHeader(http.StatusNoContent) // recorded as bad; no point retrying
		return
	}
	if first, ok := r.bodies[ce.ID]; ok && !bytes.Equal(first, body) {
		r.bad = append(r.bad, fmt.Sprintf("id %s sent with two bodies:\n%s\n%s", ce.ID, first, body))
	} else if !ok {
		r.bodies[ce.ID] = body
	}
	r.counts[ce.ID]++
	w.WriteHeader(http.StatusNoContent)
}

// subscribe registers the receiver for council's events through the API.
func (r *hookReceiver) subscribe(t *testing.T, base, council string) {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"council": council, "url": r.srv.URL + "/hooks/" + council})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/webhooks", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+nodesToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/webhooks: %d %s", resp.StatusCode, body)
	}
}

// expected returns the ids of the log's events about council's assets.
func expectedHooks(log []eventstore.Event, council string) (want, others map[string]bool) {
	councilOf := map[string]string{}
	for _, e := range log {
		if e.Type == domain.TypeNominationReceived {
			var n struct {
				Council string `json:"council"`
			}
			_ = json.Unmarshal(e.Data, &n) // the log decoded once already
			if _, ok := councilOf[e.Stream]; !ok {
				councilOf[e.Stream] = n.Council
			}
		}
	}
	want, others = map[string]bool{}, map[string]bool{}
	for _, e := range log {
		if councilOf[e.Stream] == council {
			want[e.ID.String()] = true
		} else {
			others[e.ID.String()] = true
		}
	}
	return want, others
}

// missing returns how many of want the receiver has not had yet.
func (r *hookReceiver) missing(want map[string]bool) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id := range want {
		if r.counts[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

// waitFor waits until every event of council's assets has been received.
// A delivery claimed by the node that was killed waits for its lease to
// run out before another node sends it.
func (r *hookReceiver) waitFor(t *testing.T, ctx context.Context, store eventstore.Store, council string, limit time.Duration) {
	t.Helper()
	want, _ := expectedHooks(readLog(t, ctx, store), council)
	deadline := time.Now().Add(limit)
	for {
		missing := r.missing(want)
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events of %s never reached the webhook receiver, e.g. %s", len(missing), len(want), council, missing[0])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// check: every event of council's assets was received, under its own id,
// never with two bodies; no other council's event was sent.
func (r *hookReceiver) check(t *testing.T, log []eventstore.Event, council string) {
	t.Helper()
	want, others := expectedHooks(log, council)
	if missing := r.missing(want); len(missing) > 0 {
		t.Errorf("%d events of %s not delivered", len(missing), council)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bad {
		t.Error(b)
	}
	twice := 0
	for id, n := range r.counts {
		if others[id] {
			t.Errorf("event %s of another council was delivered", id)
		} else if !want[id] {
			t.Errorf("the receiver got id %s, which is no event of the log", id)
		}
		if n > 1 {
			twice++
		}
	}
	t.Logf("webhooks: %d events delivered, %d of them more than once", len(r.counts), twice)
}
