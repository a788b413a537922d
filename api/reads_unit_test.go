package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/projections"
)

func TestRedact(t *testing.T) {
	// The stream names a community body "g-1" (a nominator), so a party
	// with that id is an organisation.
	stream := []eventstore.Event{{Data: json.RawMessage(`{"nominator":{"id":"g-1","name":"Friends","kind":"charity","local_connection":true}}`)}}
	for _, tt := range []struct {
		name, in, want string
		removed        []string
	}{
		{"nothing personal comes back byte for byte",
			`{"asset_id":"a",  "outcome":"listed"}`, `{"asset_id":"a",  "outcome":"listed"}`, nil},
		{"a private owner loses name, address and id",
			`{"owner":{"id":"p-1","name":"Jane","address":"1 Road"},"n":1.50}`, `{"n":1.50,"owner":{}}`,
			[]string{"/data/owner/id", "/data/owner/name", "/data/owner/address"}},
		{"a public body is named",
			`{"owner":{"name":"County Council","address":"Hall","public_body":true}}`,
			`{"owner":{"name":"County Council","address":"Hall","public_body":true}}`, nil},
		{"an organisation identifier is named",
			`{"buyer":{"id":"GB-COH-01234567","name":"Pubs Ltd"}}`, `{"buyer":{"id":"GB-COH-01234567","name":"Pubs Ltd"}}`, nil},
		{"a body of the stream is named",
			`{"bidder":{"id":"g-1","name":"Friends"}}`, `{"bidder":{"id":"g-1","name":"Friends"}}`, nil},
		{"requesters are never named, even organisations",
			`{"requester":{"id":"org-1","name":"Pubs Ltd","public_body":true}}`, `{"requester":{"public_body":true}}`,
			[]string{"/data/requester/id", "/data/requester/name"}},
		{"notice recipients are never named",
			`{"recipients":[{"role":"owner","party":{"id":"org-1","name":"Pubs Ltd"}}]}`, `{"recipients":[{"party":{},"role":"owner"}]}`,
			[]string{"/data/recipients/0/party/id", "/data/recipients/0/party/name"}},
		{"occupants, interests, evidence and extras go",
			`{"occupants":[{"name":"A"}],"interests":[],"evidence":"e","local_extras":{"reference":"R1"},"reasons":"r"}`, `{"reasons":"r"}`,
			[]string{"/data/evidence", "/data/interests", "/data/local_extras", "/data/occupants"}},
		{"an individual nominator loses its name",
			`{"nominator":{"id":"i-1","name":"Jo","kind":"individual","local_connection":true}}`,
			`{"nominator":{"kind":"individual","local_connection":true}}`,
			[]string{"/data/nominator/id", "/data/nominator/name"}},
		{"a party-shaped object under any key is a party",
			`{"landlord":{"name":"Jo","address":"x"}}`, `{"landlord":{}}`,
			[]string{"/data/landlord/name", "/data/landlord/address"}},
		{"land is not a party",
			`{"land":{"name":"The Red Lion","address":"1 High St","use":"non_residential"}}`,
			`{"land":{"name":"The Red Lion","address":"1 High St","use":"non_residential"}}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, removed, err := newRedactor(stream).redact(json.RawMessage(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("redact(%s) = %s, want %s", tt.in, out, tt.want)
			}
			if !slices.Equal(removed, tt.removed) {
				t.Errorf("removed %v, want %v", removed, tt.removed)
			}
		})
	}
}

func TestClockStatusOn(t *testing.T) {
	end := domain.NewDate(2026, 6, 1)
	for _, tt := range []struct {
		name, stored string
		today        domain.Date
		want         string
	}{
		{"decision", "running", end.AddDays(-1), "running"},
		{"decision", "running", end, "due"},
		{"decision", "running", end.AddDays(1), "overdue"},
		{"review_decision", "running", end.AddDays(1), "overdue"},
		{"interim_moratorium", "running", end.AddDays(1), "ended"},
		{"listing", "running", end, "due"},
		{"decision", "stopped", end.AddDays(9), "stopped"},
		{"appeal", "ended", end.AddDays(9), "ended"},
	} {
		c := projections.ClockView{Name: tt.name, Status: tt.stored, End: end}
		if got := clockStatusOn(c, tt.today); got != tt.want {
			t.Errorf("%s clock stored %s ending %s, on %s = %s, want %s", tt.name, tt.stored, end, tt.today, got, tt.want)
		}
	}
}

func TestClocksOnKeepsTheRestOfTheView(t *testing.T) {
	in := `{"id":"a","extra":{"x":[1,2]},"clocks":[{"name":"decision","start":"2026-04-01","end":"2026-05-26","status":"running","rule":"Regs reg 7","regime":"localism-2012"}]}`
	out, err := clocksOn(json.RawMessage(in), domain.NewDate(2026, 6, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"clocks":[{"name":"decision","start":"2026-04-01","end":"2026-05-26","status":"overdue","rule":"Regs reg 7","regime":"localism-2012"}],"extra":{"x":[1,2]},"id":"a"}`
	if string(out) != want {
		t.Errorf("clocksOn = %s\nwant        %s", out, want)
	}
}

func TestNegotiate(t *testing.T) {
	offers := []string{mediaJSON, mediaCSV, mediaGeoJSON}
	for _, tt := range []struct{ accept, want string }{
		{"", mediaJSON},
		{"*/*", mediaJSON},
		{"text/csv", mediaCSV},
		{"text/*", mediaCSV},
		{"application/geo+json", mediaGeoJSON},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", mediaJSON},
		{"application/json;q=0.5, text/csv", mediaCSV},
		{"text/csv;q=0, */*", mediaJSON},
		{"application/json, text/csv", mediaJSON},
		{"*/*;q=0.1, application/geo+json;q=0.1", mediaGeoJSON},
		{"image/png", ""},
	} {
		if got := negotiate(tt.accept, offers...); got != tt.want {
			t.Errorf("negotiate(%q) = %q, want %q", tt.accept, got, tt.want)
		}
	}
}

func TestPreferredWait(t *testing.T) {
	for _, tt := range []struct {
		prefer string
		want   time.Duration
	}{
		{"", 5 * time.Second},
		{"wait=2", 2 * time.Second},
		{"respond-async, wait=1", time.Second},
		{"wait=60", 5 * time.Second},
		{"wait=0", minWait},
		{"wait=soon", 5 * time.Second},
	} {
		h := http.Header{}
		if tt.prefer != "" {
			h.Set("Prefer", tt.prefer)
		}
		if got := preferredWait(h, 5*time.Second); got != tt.want {
			t.Errorf("Prefer: %s waits %s, want %s", tt.prefer, got, tt.want)
		}
	}
}

func TestSmallHelpers(t *testing.T) {
	for in, want := range map[string]string{"sw1a1aa": "SW1A 1AA", " SW1A  1AA ": "SW1A 1AA", "sw1a": "SW1A", "m1 1ae": "M1 1AE"} {
		if got := normalisePostcode(in); got != want {
			t.Errorf("normalisePostcode(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"acv.nomination-received.v1":       "Nomination received",
		"acv.disposal-notice-received.v12": "Disposal notice received",
		"organisation.renamed":             "Organisation renamed",
	} {
		if got := describeType(in); got != want {
			t.Errorf("describeType(%q) = %q, want %q", in, got, want)
		}
	}
	if got := wktPoint(&domain.Point{Lat: 51.5, Lon: -0.125}); got != "POINT(-0.125 51.5)" {
		t.Errorf("wktPoint = %q", got)
	}
	if got := fileName("local-authority:MDS/register 2026"); got != "local-authority-MDS-register-2026" {
		t.Errorf("fileName = %q", got)
	}
	for _, tt := range []struct {
		header string
		want   bool
	}{{`"3"`, true}, {`W/"3"`, true}, {`"2", "3"`, true}, {`*`, true}, {`"4"`, false}, {``, false}} {
		if got := matchesETag(tt.header, `"3"`); got != tt.want {
			t.Errorf("matchesETag(%q) = %v", tt.header, got)
		}
	}
	if v, ok := decodeVersionCursor(encodeVersionCursor(42)); !ok || v != 42 {
		t.Errorf("version cursor round trip = %d %v", v, ok)
	}
}
