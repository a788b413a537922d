package api_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/internal/personaltest"
)

// TestPublicNeverSeesPersonalData seeds known personal data through the
// write routes and crawls every public read route and export, on both
// backends: none of it may appear. An officer of the asset's council sees
// it in the raw events; an officer of another council does not.
func TestPublicNeverSeesPersonalData(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testPublicNeverSeesPersonalData(t, backend) })
	}
}

func testPublicNeverSeesPersonalData(t *testing.T, backend string) {
	today := domain.NewDate(2026, 11, 20)
	s := newScenarioStack(t, backend, today)
	var last int64
	seeded := personaltest.Seed(t, today, func(path string, body map[string]any) map[string]any {
		w := s.post(path, body, http.StatusCreated)
		last = w.Position
		return w.body
	})
	id, council := seeded.AssetID, personaltest.Council
	s.read("/v1/assets/"+id, last, nil) // the read models have caught up

	before, after := today.AddDays(-200).String(), today.String()
	paths := []string{
		"/v1/councils", "/v1/councils/" + council,
		"/v1/councils/" + council + "/register", "/v1/councils/" + council + "/register?format=csv",
		"/v1/councils/" + council + "/register?format=geojson", "/v1/councils/" + council + "/register?as_of=" + before,
		"/v1/councils/" + council + "/register?as_of=" + after,
		"/v1/councils/" + council + "/unsuccessful-nominations", "/v1/councils/" + council + "/unsuccessful-nominations?as_of=" + before,
		"/v1/councils/" + council + "/unsuccessful-nominations?format=csv",
		"/v1/register", "/v1/register?format=csv", "/v1/register?format=geojson", "/v1/register?as_of=" + before,
		"/v1/register?q=Quarrendon", "/v1/register?q=Quince", "/v1/register?council=" + council,
		"/v1/assets/" + id, "/v1/assets/" + id + "/timeline", "/v1/assets/" + id + "/events",
		"/v1/assets/" + id + "/verify",
		"/v1/organisations", "/v1/organisations?kind=owner",
		"/v1/moratoria", "/v1/moratoria?status=interim", "/v1/moratoria?status=full", "/v1/moratoria?status=protected",
		"/v1/moratoria?status=ended", "/v1/stats", "/v1/changes", "/v1/changes?after=0&limit=1000",
	}
	crawled := map[string]string{}
	for _, p := range paths {
		if strings.Contains(p, "geojson") { // a type the OpenAPI checker cannot decode
			crawled[p] = getRaw(t, s.srv.URL+p, "Accept", "application/geo+json")
			continue
		}
		a := s.send(http.MethodGet, p, nil, true)
		if a.status != http.StatusOK {
			t.Errorf("GET %s = %d: %s", p, a.status, a.raw)
		}
		crawled[p] = string(a.raw)
	}
	// The Atom feed, which the OpenAPI document describes as another type.
	crawled["/v1/changes (Atom)"] = getRaw(t, s.srv.URL+"/v1/changes", "Accept", "application/atom+xml")
	crawled["/v1/stream"] = readStream(t, s.srv.URL+"/v1/stream?asset_id="+id, last)
	if !strings.Contains(crawled["/v1/stream"], "acv.nomination-received.v1") {
		t.Errorf("the live stream did not replay the asset's history: %q", crawled["/v1/stream"])
	}
	for p, body := range crawled {
		for _, secret := range personaltest.Secrets {
			if strings.Contains(body, secret) {
				t.Errorf("GET %s shows %q", p, secret)
			}
		}
	}

	// Who sees the raw events unredacted: the responsible council's
	// officers and administrators.
	events := api.New(api.Deps{Store: s.store})
	officer := api.EventsAs(events, api.Caller{Role: api.RoleCouncilOfficer, Org: council, TokenID: "t-officer"}, id)
	stranger := api.EventsAs(events, api.Caller{Role: api.RoleCouncilOfficer, Org: personaltest.OtherCouncil, TokenID: "t-other"}, id)
	group := api.EventsAs(events, api.Caller{Role: "community_group", Org: council, TokenID: "t-group"}, id)
	admin := s.send(http.MethodGet, "/v1/assets/"+id+"/events?limit=1000", nil, true, "Authorization: admin")
	for _, secret := range personaltest.Secrets {
		if !strings.Contains(officer.Body.String(), secret) {
			t.Errorf("an officer of %s does not see %q in the asset's events", council, secret)
		}
		if !strings.Contains(string(admin.raw), secret) {
			t.Errorf("the administrator does not see %q in the asset's events", secret)
		}
		if strings.Contains(stranger.Body.String(), secret) {
			t.Errorf("an officer of another council sees %q", secret)
		}
		if strings.Contains(group.Body.String(), secret) {
			t.Errorf("a community group's token of the same organisation code sees %q", secret)
		}
	}
	if officer.Code != http.StatusOK || stranger.Code != http.StatusOK {
		t.Errorf("events as officers: %d and %d", officer.Code, stranger.Code)
	}

	// The nominating group sees its own nomination in full (api.md), and
	// nothing of the events that followed it.
	own := api.EventsAs(events, api.Caller{Role: api.RoleCommunityGroup, Org: personaltest.NominatorID, TokenID: "t-own"}, id)
	for _, secret := range []string{"Octavia Fennimore", "Horatio Pemberton", "Zebedee Quince", "Elspeth Nightingale", "Electoral roll extract for Quince"} {
		if !strings.Contains(own.Body.String(), secret) {
			t.Errorf("the nominating group does not see %q in its own nomination", secret)
		}
	}
	if strings.Contains(own.Body.String(), "Invoices from Quarrendon") {
		t.Errorf("the nominating group sees the owner's compensation claim")
	}

}

// getRaw GETs url with one header and returns the body.
func getRaw(t *testing.T, url, key, value string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(key, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s = %d: %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// readStream reads the live stream from the start of the log until it has
// sent the event at position last (or two seconds pass).
func readStream(t *testing.T, url string, last int64) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Last-Event-ID", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	want := "id: " + strconv.FormatInt(last, 10)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
		if sc.Text() == want {
			// The event's data follows its id.
			for range 3 {
				if sc.Scan() {
					b.WriteString(sc.Text() + "\n")
				}
			}
			break
		}
	}
	return b.String()
}
