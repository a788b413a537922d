package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
)

// TestDeliversSignedCloudEvent: a real https receiver gets a CloudEvents
// 1.0 body in structured mode, signed with the subscription's secret, and
// the delivery log shows it delivered.
func TestDeliversSignedCloudEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		rcv := newReceiver(t, true, nil)
		sub, secret := e.subscribe(NewSubscription{Council: councilA, URL: rcv.srv.URL + "/hooks?token=abc"})
		stored := e.record("a1", nomination("a1", councilA), decision("a1"))
		e.outbox(0)
		e.clock.Advance(time.Second)

		dl := e.deliverer(rcv.srv.Client(), DelivererOptions{Source: "https://acv.example"})
		if n, err := dl.DeliverDue(ctx); err != nil || n != 2 {
			t.Fatalf("DeliverDue = %d, %v; want 2, nil", n, err)
		}
		got := rcv.requests()
		if len(got) != 2 {
			t.Fatalf("the receiver got %d requests, want 2", len(got))
		}
		slices.SortFunc(got, func(a, b received) int { return strings.Compare(string(a.body), string(b.body)) })
		seen := map[string]bool{}
		for _, r := range got {
			if ct := r.header.Get("Content-Type"); ct != "application/cloudevents+json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if err := Verify(secret, r.header, r.body, e.clock.Now(), 5*time.Minute); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if err := Verify("whsec_other", r.header, r.body, e.clock.Now(), 5*time.Minute); err != ErrBadSignature {
				t.Errorf("Verify with another secret = %v, want ErrBadSignature", err)
			}
			if err := Verify(secret, r.header, r.body, e.clock.Now().Add(time.Hour), 5*time.Minute); err != ErrStale {
				t.Errorf("Verify an hour later = %v, want ErrStale", err)
			}
			if ts := r.header.Get(HeaderTimestamp); ts != strconv.FormatInt(e.clock.Now().Unix(), 10) {
				t.Errorf("timestamp %q", ts)
			}
			var ce map[string]any
			if err := json.Unmarshal(r.body, &ce); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			for _, attr := range []string{"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"} {
				if _, ok := ce[attr]; !ok {
					t.Errorf("the CloudEvent has no %s: %s", attr, r.body)
				}
			}
			if ce["specversion"] != "1.0" || ce["source"] != "https://acv.example" || ce["subject"] != "a1" || ce["datacontenttype"] != "application/json" {
				t.Errorf("CloudEvent attributes: %s", r.body)
			}
			var body CloudEvent
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(stored, func(s eventstore.Event) bool { return s.ID.String() == body.ID })
			if i < 0 {
				t.Fatalf("CloudEvent id %s is no event of the log", body.ID)
			}
			ev := stored[i]
			seen[body.ID] = true
			d := body.Data
			if body.Type != ev.Type || !body.Time.Equal(ev.RecordedAt) || d.ID != ev.ID || d.Position != ev.Position ||
				d.Version != ev.Version || d.Council != councilA || d.AssetID != "a1" || d.EffectiveDate != ev.Metadata.EffectiveDate {
				t.Errorf("CloudEvent %+v does not describe event %+v", body, ev)
			}
			if r.header.Get(HeaderDelivery) != DeliveryID(sub, ev.ID).String() || r.header.Get(HeaderAttempt) != "1" {
				t.Errorf("delivery headers %v", r.header)
			}
		}
		if len(seen) != 2 {
			t.Errorf("the receiver saw events %v, want both", seen)
		}
		for _, d := range e.deliveries(sub) {
			if d.Status != Delivered || d.Attempts != 1 || d.LastStatus != 200 || d.DeliveredAt.IsZero() || len(d.Log) != 1 ||
				d.Log[0].Status != 200 || d.Log[0].Error != "" || !d.Log[0].StartedAt.Equal(e.clock.Now()) {
				t.Errorf("delivery %+v", d)
			}
		}
		if n, err := dl.DeliverDue(ctx); err != nil || n != 0 {
			t.Errorf("DeliverDue again = %d, %v; want nothing", n, err)
		}
	})
}

// TestRetriesWithBackoffThenDelivers: a receiver that fails twice gets the
// same delivery three times, identical but for the attempt headers, at the
// backoff's times, and the log records every attempt.
func TestRetriesWithBackoffThenDelivers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		rcv := newReceiver(t, false, func(_ string, n int) int {
			if n < 2 {
				return http.StatusServiceUnavailable
			}
			return http.StatusNoContent
		})
		sub, secret := e.subscribe(NewSubscription{AssetID: mustAsset(e, "a1"), URL: rcv.srv.URL})
		e.record("a1", decision("a1"))
		e.outbox(0)
		dl := e.deliverer(nil, DelivererOptions{})

		mustDeliver(t, dl, 1) // attempt 1: 503; due again in 1 minute
		mustDeliver(t, dl, 0)
		e.clock.Advance(59 * time.Second)
		mustDeliver(t, dl, 0)
		e.clock.Advance(time.Second)
		mustDeliver(t, dl, 1) // attempt 2: 503; due again in 2 minutes
		e.clock.Advance(2 * time.Minute)
		mustDeliver(t, dl, 1) // attempt 3: 204
		e.clock.Advance(time.Hour)
		mustDeliver(t, dl, 0)

		got := rcv.requests()
		if len(got) != 3 {
			t.Fatalf("%d requests, want 3", len(got))
		}
		for i, r := range got {
			if !bytes.Equal(r.body, got[0].body) {
				t.Errorf("attempt %d sent another body:\n%s\n%s", i+1, r.body, got[0].body)
			}
			if r.header.Get(HeaderDelivery) != got[0].header.Get(HeaderDelivery) || r.header.Get(HeaderAttempt) != strconv.Itoa(i+1) {
				t.Errorf("attempt %d headers %v", i+1, r.header)
			}
			if err := Verify(secret, r.header, r.body, time.Unix(mustInt(t, r.header.Get(HeaderTimestamp)), 0), time.Second); err != nil {
				t.Errorf("attempt %d: %v", i+1, err)
			}
		}
		ds := e.deliveries(sub)
		if len(ds) != 1 {
			t.Fatalf("%d deliveries, want 1", len(ds))
		}
		d := ds[0]
		if d.Status != Delivered || d.Attempts != 3 || d.LastStatus != 204 || d.LastError != "" {
			t.Errorf("delivery %+v", d)
		}
		var statuses []int
		var starts []time.Duration
		for _, a := range d.Log {
			statuses = append(statuses, a.Status)
			starts = append(starts, a.StartedAt.Sub(start))
		}
		if !slices.Equal(statuses, []int{503, 503, 204}) || !slices.Equal(starts, []time.Duration{0, time.Minute, 3 * time.Minute}) {
			t.Errorf("attempts: statuses %v at %v", statuses, starts)
		}
		if d.Log[0].Error != "the receiver answered 503 Service Unavailable" {
			t.Errorf("attempt 1 error %q", d.Log[0].Error)
		}
	})
}

// TestGivesUpAfterMaxAttempts: a receiver that never answers in time, then
// answers 500, is tried MaxAttempts times and the delivery marked failed.
func TestGivesUpAfterMaxAttempts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		rcv := newReceiver(t, false, func(_ string, n int) int {
			if n == 0 {
				time.Sleep(300 * time.Millisecond)
			}
			return http.StatusInternalServerError
		})
		sub, _ := e.subscribe(NewSubscription{Council: councilA, URL: rcv.srv.URL})
		e.record("a1", nomination("a1", councilA))
		e.outbox(0)
		dl := e.deliverer(nil, DelivererOptions{MaxAttempts: 3, Timeout: 100 * time.Millisecond})
		for range 3 {
			mustDeliver(t, dl, 1)
			e.clock.Advance(time.Hour)
		}
		mustDeliver(t, dl, 0)
		d := e.deliveries(sub)[0]
		if d.Status != Failed || d.Attempts != 3 || len(d.Log) != 3 || d.LastStatus != 500 {
			t.Fatalf("delivery %+v", d)
		}
		if d.Log[0].Error != "no answer within the timeout" || d.Log[0].Status != 0 {
			t.Errorf("attempt 1: %+v", d.Log[0])
		}
	})
}

// TestUnsubscribeCancels: deleting a subscription cancels its pending
// deliveries, and nothing more is sent to it.
func TestUnsubscribeCancels(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		rcv := newReceiver(t, false, nil)
		sub, _ := e.subscribe(NewSubscription{Council: councilA, URL: rcv.srv.URL})
		e.record("a1", nomination("a1", councilA))
		e.outbox(0)
		if err := e.registry().Unsubscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
		mustDeliver(t, e.deliverer(nil, DelivererOptions{}), 0)
		if d := e.deliveries(sub)[0]; d.Status != Cancelled || len(rcv.requests()) != 0 {
			t.Errorf("delivery %+v after unsubscribing; %d requests", d, len(rcv.requests()))
		}
	})
}

// TestNoPersonalDataLeaves: whatever the events hold, the bodies sent carry
// no personal data, only the public form of each event.
func TestNoPersonalDataLeaves(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		rcv := newReceiver(t, false, nil)
		e.subscribe(NewSubscription{Council: councilA, URL: rcv.srv.URL})
		e.record("a1", nomination("a1", councilA), decision("a1"), ownerChange("a1"))
		e.outbox(0)
		mustDeliver(t, e.deliverer(nil, DelivererOptions{}), 3)
		got := rcv.requests()
		if len(got) != 3 {
			t.Fatalf("%d requests, want 3", len(got))
		}
		var all []byte
		for _, r := range got {
			all = append(all, r.body...)
		}
		for _, p := range personal {
			if bytes.Contains(all, []byte(p)) {
				t.Errorf("a webhook body holds personal data %q", p)
			}
		}
		for _, public := range []string{"Friends of the Red Lion", "The Red Lion", "/data/owner/name", "/data/local_extras"} {
			if !bytes.Contains(all, []byte(public)) {
				t.Errorf("the bodies lack %q: %s", public, all)
			}
		}
	})
}

// mustAsset records a nomination of assetID in council A and returns the
// id.
func mustAsset(e *env, assetID string) string {
	e.t.Helper()
	e.record(assetID, nomination(assetID, councilA))
	return assetID
}

// mustDeliver runs one pass of dl and checks how many deliveries it took.
func mustDeliver(t *testing.T, dl *Deliverer, want int) {
	t.Helper()
	n, err := dl.DeliverDue(context.Background())
	if err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
	if n != want {
		t.Fatalf("DeliverDue took %d deliveries, want %d", n, want)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
