package webhooks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/google/uuid"
)

func TestCheckURL(t *testing.T) {
	for _, tt := range []struct {
		url       string
		allowHTTP bool
		want      string // "" for valid; else a part of the message
	}{
		{"https://hooks.example/acv?token=x", false, ""},
		{"https://hooks.example:8443/acv", false, ""},
		{"http://localhost:8080/hook", true, ""},
		{"http://hooks.example/acv", false, "https"},
		{"ftp://hooks.example/acv", true, "https"},
		{"", false, "required"},
		{"hooks.example/acv", false, "https"},
		{"https:///path", false, "host"},
		{"https://user:pass@hooks.example/", false, "password"},
		{"https://token@hooks.example/", false, "password"},
		{"https://hooks.example/#frag", false, "fragment"},
		{"https://hooks.example/" + strings.Repeat("a", 2048), false, "2048"},
		{"https://hooks example/", false, "not a URL"},
	} {
		err := CheckURL(tt.url, tt.allowHTTP)
		var verr *domain.ValidationError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckURL(%q) = %v, want nil", tt.url, err)
		case tt.want != "" && (!errors.As(err, &verr) || verr.Field != "url" || !strings.Contains(verr.Message, tt.want)):
			t.Errorf("CheckURL(%q) = %v, want a url error saying %q", tt.url, err, tt.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := NewRegistry(e.db, e.d, e.store, RegistryOptions{Now: e.clock.Now})
		e.record("a1", nomination("a1", councilA))

		for _, tt := range []struct {
			n     NewSubscription
			field string
		}{
			{NewSubscription{URL: "https://x.example/"}, "council"},
			{NewSubscription{Council: councilA, AssetID: "a1", URL: "https://x.example/"}, "asset_id"},
			{NewSubscription{AssetID: "nope", URL: "https://x.example/"}, "asset_id"},
			{NewSubscription{Council: councilA, URL: "http://x.example/"}, "url"}, // AllowHTTP is off
		} {
			_, _, err := r.Subscribe(ctx, tt.n)
			var verr *domain.ValidationError
			if !errors.As(err, &verr) || verr.Field != tt.field {
				t.Errorf("Subscribe(%+v) = %v, want a validation error on %s", tt.n, err, tt.field)
			}
		}

		var made []Subscription
		secrets := map[string]bool{}
		for i := range 5 {
			n := NewSubscription{Council: councilA, URL: "https://x.example/" + string(rune('a'+i))}
			if i == 2 {
				n = NewSubscription{AssetID: "a1", URL: "https://x.example/asset"}
			}
			s, secret, err := r.Subscribe(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 || secrets[secret] {
				t.Errorf("secret %q", secret)
			}
			secrets[secret] = true
			if s.AfterPosition == 0 || !s.Active || !s.CreatedAt.Equal(e.clock.Now()) {
				t.Errorf("subscription %+v", s)
			}
			made = append(made, s)
			e.clock.Advance(time.Millisecond)
		}
		got, err := r.Subscription(ctx, made[2].ID)
		if err != nil || got != made[2] {
			t.Errorf("Subscription = %+v, %v; want %+v", got, err, made[2])
		}

		// Pages of two, oldest first.
		var listed []Subscription
		cursor := ""
		for {
			page, next, err := r.Subscriptions(ctx, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			listed = append(listed, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(listed) != 5 {
			t.Fatalf("listed %d subscriptions, want 5", len(listed))
		}
		for i := range listed {
			if listed[i] != made[i] {
				t.Errorf("listed[%d] = %+v, want %+v", i, listed[i], made[i])
			}
		}
		if _, _, err := r.Subscriptions(ctx, "garbage", 2); !errors.Is(err, ErrBadCursor) {
			t.Errorf("a bad cursor: %v", err)
		}

		// Unsubscribing: twice is fine; an unknown id is not found.
		for range 2 {
			if err := r.Unsubscribe(ctx, made[0].ID); err != nil {
				t.Fatal(err)
			}
		}
		if s, _ := r.Subscription(ctx, made[0].ID); s.Active || s.DeactivatedAt.IsZero() {
			t.Errorf("after Unsubscribe: %+v", s)
		}
		unknown := uuid.New()
		if err := r.Unsubscribe(ctx, unknown); !errors.Is(err, ErrNotFound) {
			t.Errorf("Unsubscribe(unknown) = %v", err)
		}
		if _, err := r.Subscription(ctx, unknown); !errors.Is(err, ErrNotFound) {
			t.Errorf("Subscription(unknown) = %v", err)
		}
		if _, err := r.Deliveries(ctx, unknown, 0, 10); !errors.Is(err, ErrNotFound) {
			t.Errorf("Deliveries(unknown) = %v", err)
		}
	})
}

// TestDeliveriesPages: the delivery log reads latest first, a page at a
// time.
func TestDeliveriesPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub, _ := e.subscribe(NewSubscription{Council: councilA, URL: "https://x.example/"})
		for _, id := range []string{"a1", "a2", "a3"} {
			e.record(id, nomination(id, councilA))
		}
		e.outbox(0)
		r := e.registry()
		first, err := r.Deliveries(ctx, sub, 0, 2)
		if err != nil || len(first) != 2 || first[0].Position <= first[1].Position {
			t.Fatalf("first page %+v, %v", first, err)
		}
		rest, err := r.Deliveries(ctx, sub, first[1].Position, 2)
		if err != nil || len(rest) != 1 || rest[0].Position >= first[1].Position {
			t.Fatalf("second page %+v, %v", rest, err)
		}
	})
}
