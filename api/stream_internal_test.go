package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/google/uuid"
)

// TestStreamOutlivesServerTimeouts: a stream served by an http.Server whose
// ReadTimeout and WriteTimeout are far shorter than the stream lives on,
// with heartbeats, and still carries a later event.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "acv.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	s := New(Deps{Store: store})
	s.streams.heartbeat = 50 * time.Millisecond
	srv := httptest.NewUnstartedServer(s)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	heartbeats := 0
	deadline := time.After(1200 * time.Millisecond) // four times either timeout
	for waiting := true; waiting; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended after %d heartbeats", heartbeats)
			}
			if l == ": heartbeat" {
				heartbeats++
			}
		case <-deadline:
			waiting = false
		}
	}
	if heartbeats < 10 {
		t.Errorf("%d heartbeats in 1.2s at one per 50ms", heartbeats)
	}
	id := uuid.New()
	if _, err := store.Append(ctx, "asset-x", eventstore.NoStream, []eventstore.NewEvent{{ID: id, Type: "acv.test.v1",
		Data: json.RawMessage(`{"asset_id":"x"}`)}}); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		if strings.HasPrefix(l, "data: ") {
			if !strings.Contains(l, id.String()) {
				t.Errorf("data %s", l)
			}
			s.CloseStreams()
		}
	}
	// lines closed: the stream ended cleanly after CloseStreams.
}

// TestWebhooksNeedAnAdministrator: any other role is refused with 403.
func TestWebhooksNeedAnAdministrator(t *testing.T) {
	for _, c := range []struct {
		caller Caller
		status int
	}{
		{Caller{}, http.StatusUnauthorized},
		{Caller{Role: RoleCouncilOfficer, Org: "E07000228", TokenID: "t1"}, http.StatusForbidden},
		{Caller{Role: RoleCommunityGroup, Org: "org-friends", TokenID: "t2"}, http.StatusForbidden},
		{Caller{Role: RoleAdministrator, Org: "registry", TokenID: "admin"}, 0},
	} {
		r := httptest.NewRequest("GET", "/v1/webhooks", nil)
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, authState{caller: c.caller}))
		_, err := requireAdministrator(r)
		var p *Problem
		switch {
		case c.status == 0 && err != nil:
			t.Errorf("%+v: %v", c.caller, err)
		case c.status != 0 && (!errors.As(err, &p) || p.Status != c.status):
			t.Errorf("%+v: %v, want %d", c.caller, err, c.status)
		}
	}
}
