package api_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/google/uuid"
)

// names returns the names of a page's items.
func names(t *testing.T, g got) []string {
	t.Helper()
	var page struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	g.json(t, &page)
	var ns []string
	for _, it := range page.Items {
		ns = append(ns, it.Name)
	}
	slices.Sort(ns)
	return ns
}

// problem checks that g is a problem with status and returns it.
func problem(t *testing.T, g got, status int) map[string]any {
	t.Helper()
	if g.status != status {
		t.Fatalf("status %d, want %d: %s", g.status, status, g.body)
	}
	if ct := g.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json: %s", ct, g.body)
	}
	p := g.object(t)
	if p["status"] != float64(status) || p["title"] == "" || p["type"] == "" {
		t.Fatalf("not a problem with status %d: %s", status, g.body)
	}
	return p
}

func TestCouncils(t *testing.T) {
	rs := newReadStack(t, true)
	var list struct {
		Items []struct {
			Council     string `json:"council"`
			Listed      int    `json:"listed"`
			Nominations int    `json:"nominations"`
		} `json:"items"`
	}
	rs.mustGet(http.StatusOK, "/v1/councils").json(t, &list)
	var codes []string
	for _, c := range list.Items {
		codes = append(codes, c.Council)
		if c.Nominations != 4 {
			t.Errorf("council %s has %d nominations, want the demo's 4", c.Council, c.Nominations)
		}
	}
	if want := []string{demo.MidSussex, demo.Stockport, demo.Westminster}; !slices.Equal(codes, want) {
		t.Errorf("councils %v, want %v", codes, want)
	}
	c := rs.mustGet(http.StatusOK, "/v1/councils/"+demo.MidSussex).object(t)
	if c["council"] != demo.MidSussex || c["listed"] != float64(2) || c["overdue"] != float64(1) {
		t.Errorf("Mid Sussex = %v, want 2 listed and 1 decision overdue", c)
	}
	problem(t, rs.get("/v1/councils/E99999999"), http.StatusNotFound)

	var st struct {
		National struct {
			Nominations int `json:"nominations"`
			Listed      int `json:"listed"`
		} `json:"national"`
		Councils []any `json:"councils"`
	}
	rs.mustGet(http.StatusOK, "/v1/stats").json(t, &st)
	if st.National.Nominations != 12 || len(st.Councils) != 3 {
		t.Errorf("stats: %d nominations over %d councils, want 12 over 3", st.National.Nominations, len(st.Councils))
	}
}

func TestCouncilRegisters(t *testing.T) {
	rs := newReadStack(t, true)
	base := "/v1/councils/" + demo.MidSussex + "/register"
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{"Cuckfield Library", "Victoria Park"}},
		// Victoria Park was listed 60 days before the demo's today.
		{"?as_of=" + readToday.AddDays(-61).String(), []string{"Cuckfield Library"}},
		{"?as_of=" + readToday.AddDays(-60).String(), []string{"Cuckfield Library", "Victoria Park"}},
		// Nothing was listed yet: the council is known, its list was empty.
		{"?as_of=2020-01-01", nil},
	} {
		g := rs.mustGet(http.StatusOK, base+tt.query)
		if got := names(t, g); !slices.Equal(got, tt.want) {
			t.Errorf("GET %s%s = %v, want %v", base, tt.query, got, tt.want)
		}
		page := g.object(t)
		if page["council"] != demo.MidSussex || page["list"] != "acv" {
			t.Errorf("GET %s%s: council %v list %v", base, tt.query, page["council"], page["list"])
		}
	}
	if page := rs.mustGet(http.StatusOK, base+"?as_of=2026-03-01").object(t); page["as_of"] != "2026-03-01" {
		t.Errorf("as_of echoed as %v", page["as_of"])
	}

	un := "/v1/councils/" + demo.Westminster + "/unsuccessful-nominations"
	if got := names(t, rs.mustGet(http.StatusOK, un)); !slices.Equal(got, []string{"St Anne's Garden"}) {
		t.Errorf("GET %s = %v, want St Anne's Garden", un, got)
	}
	if got := names(t, rs.mustGet(http.StatusOK, un+"?as_of=2024-01-01")); len(got) != 0 {
		t.Errorf("unsuccessful list before its decision = %v, want empty", got)
	}
	for _, p := range []string{"/v1/councils/E99999999/register", "/v1/councils/E99999999/unsuccessful-nominations"} {
		problem(t, rs.get(p), http.StatusNotFound)
	}
}

func TestNationalRegister(t *testing.T) {
	rs := newReadStack(t, true)
	// Page through everything two at a time: no entry twice, none lost.
	var all []string
	next := "/v1/register?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 20 {
			t.Fatal("pagination does not end")
		}
		var page struct {
			Items []struct {
				Name string `json:"name"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		rs.mustGet(http.StatusOK, next).json(t, &page)
		if len(page.Items) > 2 {
			t.Fatalf("page of %d items with limit=2", len(page.Items))
		}
		for _, it := range page.Items {
			all = append(all, it.Name)
		}
		next = ""
		if page.NextCursor != "" {
			next = "/v1/register?limit=2&cursor=" + url.QueryEscape(page.NextCursor)
		}
	}
	whole := names(t, rs.mustGet(http.StatusOK, "/v1/register"))
	slices.Sort(all)
	if !slices.Equal(all, whole) || len(whole) == 0 {
		t.Errorf("paged %v, whole %v", all, whole)
	}

	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"q=LIBRARY", []string{"Cuckfield Library", "Reddish Library"}},
		{"q=library&council=" + demo.Stockport, []string{"Reddish Library"}},
		{"postcode=sw1v4qf", []string{"The Marquis of Granby"}},
		{"postcode=WC2E", []string{"The Lamb and Flag"}},
		// Central London.
		{"bbox=-0.2,51.45,-0.05,51.55&status=listed", []string{"The Lamb and Flag", "The Marquis of Granby"}},
		{"status=listed&council=" + demo.MidSussex, []string{"Cuckfield Library", "Victoria Park"}},
		{"as_of=2020-01-01", nil},
	} {
		if got := names(t, rs.mustGet(http.StatusOK, "/v1/register?"+tt.query)); !slices.Equal(got, tt.want) {
			t.Errorf("GET /v1/register?%s = %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestAssetPage(t *testing.T) {
	rs := newReadStack(t, true)
	id := rs.id("The Lamb and Flag")
	g := rs.mustGet(http.StatusOK, "/v1/assets/"+id)
	a := g.object(t)
	if a["id"] != id || a["name"] != "The Lamb and Flag" || a["status"] != "listed" {
		t.Fatalf("asset = %v", a)
	}
	if want := fmt.Sprintf("%q", fmt.Sprint(a["version"])); g.header.Get("ETag") != want {
		t.Errorf("ETag %q, want %s", g.header.Get("ETag"), want)
	}
	// The interim moratorium of the notice received 20 days ago runs today.
	clocks := map[string]string{}
	for _, c := range a["clocks"].([]any) {
		c := c.(map[string]any)
		clocks[c["name"].(string)] = c["status"].(string)
	}
	if clocks["interim_moratorium"] != "running" || clocks["decision"] != "stopped" {
		t.Errorf("clocks today = %v", clocks)
	}
	nm := rs.get("/v1/assets/"+id, "If-None-Match: "+g.header.Get("ETag"))
	if nm.status != http.StatusNotModified || len(nm.body) != 0 {
		t.Errorf("If-None-Match with the current ETag = %d %q, want 304 and no body", nm.status, nm.body)
	}
	rs.mustGet(http.StatusOK, "/v1/assets/"+id, `If-None-Match: "1"`)

	var tl struct {
		AssetID string `json:"asset_id"`
		Items   []struct {
			Version int64  `json:"version"`
			Text    string `json:"text"`
		} `json:"items"`
	}
	rs.mustGet(http.StatusOK, "/v1/assets/"+id+"/timeline").json(t, &tl)
	if tl.AssetID != id || len(tl.Items) != int(a["version"].(float64)) {
		t.Errorf("timeline of %d entries for version %v", len(tl.Items), a["version"])
	}
	for i, e := range tl.Items {
		if e.Version != int64(i+1) || e.Text == "" {
			t.Errorf("timeline entry %d = %+v", i, e)
		}
	}
	for _, p := range []string{"", "/timeline", "/events", "/verify"} {
		problem(t, rs.get("/v1/assets/00000000-0000-0000-0000-000000000000"+p), http.StatusNotFound)
	}
}

// privateOwnerAsset records, on the stack's log, an asset whose owner and
// occupier are private individuals, listed with notice to the owner, and
// whose owner then asks for a review. It returns the asset's id.
func privateOwnerAsset(t *testing.T, rs *readStack) string {
	t.Helper()
	ctx := context.Background()
	id, nid := uuid.NewString(), uuid.NewString()
	owner := domain.Party{ID: "p-42", Name: "Jane Smith", Address: "1 Acacia Avenue, Lindfield"}
	group := domain.Body{ID: "org-lindfield", Name: "Lindfield Village Society", Kind: domain.Charity, LocalConnection: true}
	if _, err := rs.assets.Create(ctx, id, func(a *domain.Asset) error {
		return a.ReceiveNomination(domain.Nomination{ID: nid, Council: demo.MidSussex, ReceivedOn: readToday.AddDays(-90),
			Nominator: group, Owner: owner,
			Land: domain.Land{Name: "The Old Forge", Description: "A forge used as a village hall", Boundaries: "the building and yard",
				Address: "2 High Street, Lindfield", Postcode: "RH16 2HT", Use: domain.NonResidential},
			Occupants: []domain.Party{{Name: "John Smith", Address: "1 Acacia Avenue, Lindfield"}},
			Interests: []domain.Interest{{Holder: owner, Estate: domain.Freehold}},
			Reasons:   "The village's only hall", Evidence: "Constitution; list of 21 electors: A. Person, B. Person...",
			LocalExtras: map[string]string{"contact_phone": "01444 000000"},
		}, readToday)
	}); err != nil {
		t.Fatalf("nominate: %v", err)
	}
	if _, err := rs.assets.Update(ctx, id, -1, func(a *domain.Asset) error {
		if err := a.DecideNomination(nid, domain.Decision{Outcome: domain.Listed, DecidedOn: readToday.AddDays(-40)}, readToday); err != nil {
			return err
		}
		if err := a.GiveNotice(domain.Notice{ID: uuid.NewString(), Kind: domain.ListingNotice, Subject: nid, Method: domain.ByPost,
			GivenOn: readToday.AddDays(-40), Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: owner}}}, readToday); err != nil {
			return err
		}
		return a.RequestReview(domain.ReviewRequest{ID: uuid.NewString(), Requester: owner, ReceivedOn: readToday.AddDays(-20)}, readToday)
	}); err != nil {
		t.Fatalf("list and review: %v", err)
	}
	rs.catchUp()
	return id
}

func TestEventsRedactPersonalData(t *testing.T) {
	rs := newReadStack(t, true)
	id := privateOwnerAsset(t, rs)
	type event struct {
		Version  int64          `json:"version"`
		Type     string         `json:"type"`
		Data     map[string]any `json:"data"`
		Hash     string         `json:"hash"`
		PrevHash string         `json:"prev_hash"`
		Redacted []string       `json:"redacted"`
	}
	var public struct {
		Items []event `json:"items"`
	}
	g := rs.mustGet(http.StatusOK, "/v1/assets/"+id+"/events")
	g.json(t, &public)
	// Names, addresses and ids of people, the evidence with its electors,
	// the council's extras and the token never show.
	for _, secret := range []string{"Jane Smith", "John Smith", "Acacia", "p-42", "electors", "01444", "token_id"} {
		if strings.Contains(string(g.body), secret) {
			t.Errorf("public events show %q: %s", secret, g.body)
		}
	}
	// What is public stays: the nominator (a community body), the land.
	for _, public := range []string{"Lindfield Village Society", "The Old Forge", "2 High Street, Lindfield", "The village's only hall"} {
		if !strings.Contains(string(g.body), public) {
			t.Errorf("public events lack %q", public)
		}
	}
	wantRedacted := [][]string{
		{"/data/evidence", "/data/interests", "/data/local_extras", "/data/occupants", "/data/owner/id", "/data/owner/name", "/data/owner/address"},
		nil,
		{"/data/recipients/0/party/id", "/data/recipients/0/party/name", "/data/recipients/0/party/address"},
		{"/data/requester/id", "/data/requester/name", "/data/requester/address"},
	}
	if len(public.Items) != len(wantRedacted) {
		t.Fatalf("%d events, want %d", len(public.Items), len(wantRedacted))
	}
	for i, e := range public.Items {
		if !slices.Equal(e.Redacted, wantRedacted[i]) {
			t.Errorf("event %d (%s) redacted %v, want %v", e.Version, e.Type, e.Redacted, wantRedacted[i])
		}
		if e.Version != int64(i+1) || len(e.Hash) != 64 || (i > 0 && e.PrevHash != public.Items[i-1].Hash) {
			t.Errorf("event %d: version %d hash %q prev %q", i, e.Version, e.Hash, e.PrevHash)
		}
	}

	var full struct {
		Items []event `json:"items"`
	}
	rs.mustGet(http.StatusOK, "/v1/assets/"+id+"/events", "Authorization: admin").json(t, &full)
	if full.Items[0].Data["evidence"] == nil || full.Items[0].Redacted != nil {
		t.Errorf("the administrator sees a redacted event: %v", full.Items[0])
	}

	// Pages follow on.
	var p1, p2 struct {
		Items      []event `json:"items"`
		NextCursor string  `json:"next_cursor"`
	}
	rs.mustGet(http.StatusOK, "/v1/assets/"+id+"/events?limit=3").json(t, &p1)
	if len(p1.Items) != 3 || p1.NextCursor == "" {
		t.Fatalf("first page: %d items, cursor %q", len(p1.Items), p1.NextCursor)
	}
	rs.mustGet(http.StatusOK, "/v1/assets/"+id+"/events?limit=3&cursor="+p1.NextCursor).json(t, &p2)
	if len(p2.Items) != 1 || p2.Items[0].Version != 4 || p2.NextCursor != "" {
		t.Errorf("second page: %+v, cursor %q", p2.Items, p2.NextCursor)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	rs := newReadStack(t, true)
	id := rs.id("The Red Lion")
	rep := rs.mustGet(http.StatusOK, "/v1/assets/"+id+"/verify").object(t)
	if rep["ok"] != true || rep["events"] != float64(1) || len(rep["breaks"].([]any)) != 0 {
		t.Fatalf("verify before tampering = %v", rep)
	}

	// Someone with the file rewrites the nomination behind the registry's back.
	rs.tamper(t, `DROP TRIGGER events_no_update`,
		`UPDATE events SET data = replace(data, 'The Red Lion', 'The Red Lyon') WHERE stream_id = 'asset-`+id+`'`)
	var broken verifyBody
	rs.mustGet(http.StatusOK, "/v1/assets/"+id+"/verify").json(t, &broken)
	if broken.OK || len(broken.Breaks) != 1 || broken.Breaks[0].Version != 1 || broken.Breaks[0].Reason == "" {
		t.Errorf("verify after tampering = %+v, want a break at version 1", broken)
	}
}

// TestVerifyFindsEventsRemovedFromTheEnd: the hash chain cannot tell a
// stream cut short, but the read models have seen its last version, and
// verify compares the two. The asset's page, derived from the stream, is
// no witness: it is as short as the stream.
func TestVerifyFindsEventsRemovedFromTheEnd(t *testing.T) {
	rs := newReadStack(t, true)
	id := rs.id("The Red Lion")
	if _, err := rs.assets.Update(context.Background(), id, -1, func(a *domain.Asset) error {
		nid := a.Nominations()[0].Received.NominationID
		return a.DecideNomination(nid, domain.Decision{Outcome: domain.Listed, DecidedOn: readToday}, readToday)
	}); err != nil {
		t.Fatal(err)
	}
	rs.catchUp()
	if rep := rs.mustGet(http.StatusOK, "/v1/assets/"+id+"/verify").object(t); rep["ok"] != true || rep["events"] != float64(2) {
		t.Fatalf("verify before the cut = %v", rep)
	}
	rs.tamper(t, `DROP TRIGGER events_no_delete`, `DELETE FROM events WHERE stream_id = 'asset-`+id+`' AND version = 2`)
	var broken verifyBody
	rs.mustGet(http.StatusOK, "/v1/assets/"+id+"/verify").json(t, &broken)
	if broken.OK || broken.Events != 1 || len(broken.Breaks) != 1 || broken.Breaks[0].Version != 2 ||
		!strings.Contains(broken.Breaks[0].Reason, "events are missing") {
		t.Errorf("verify after the cut = %+v, want a break at version 2: events are missing", broken)
	}
}

// verifyBody is the body of GET /v1/assets/{id}/verify.
type verifyBody struct {
	OK     bool  `json:"ok"`
	Events int64 `json:"events"`
	Breaks []struct {
		Version int64  `json:"version"`
		Reason  string `json:"reason"`
	} `json:"breaks"`
}

// tamper runs statements on the log's file behind the registry's back.
func (rs *readStack) tamper(t *testing.T, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+rs.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestMoratoria(t *testing.T) {
	rs := newReadStack(t, true)
	for _, tt := range []struct {
		status string
		want   []string
	}{
		{"interim", []string{rs.id("The Lamb and Flag")}},
		{"full", []string{rs.id("The Marquis of Granby")}},
		{"protected", []string{rs.id("Churchill Gardens Community Centre"), rs.id("Reddish Library")}},
		{"ended", nil},
		{"", []string{rs.id("Churchill Gardens Community Centre"), rs.id("Reddish Library"), rs.id("The Lamb and Flag"), rs.id("The Marquis of Granby")}},
	} {
		var page struct {
			Items []struct {
				AssetID string `json:"asset_id"`
				Phase   string `json:"phase"`
			} `json:"items"`
		}
		rs.mustGet(http.StatusOK, "/v1/moratoria?status="+tt.status).json(t, &page)
		var ids []string
		for _, m := range page.Items {
			ids = append(ids, m.AssetID)
			if tt.status != "" && m.Phase != tt.status {
				t.Errorf("?status=%s gives a moratorium in phase %s", tt.status, m.Phase)
			}
		}
		slices.Sort(ids)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("?status=%s: %v, want %v", tt.status, ids, want)
		}
	}
}

func TestDeadlinesAreForOfficers(t *testing.T) {
	rs := newReadStack(t, true)
	path := "/v1/councils/" + demo.MidSussex + "/deadlines"
	p := problem(t, rs.get(path), http.StatusUnauthorized)
	if p["detail"] == "" {
		t.Errorf("401 without detail: %v", p)
	}
	problem(t, rs.get(path, "Authorization: Bearer not-a-token"), http.StatusUnauthorized)

	var page struct {
		Council string `json:"council"`
		Items   []struct {
			AssetName string `json:"asset_name"`
			Name      string `json:"name"`
			Status    string `json:"status"`
			DaysLeft  int    `json:"days_left"`
		} `json:"items"`
	}
	rs.mustGet(http.StatusOK, path, "Authorization: admin").json(t, &page)
	found := false
	for _, d := range page.Items {
		if d.AssetName == "The Bent Arms" && d.Name == "decision" {
			found = true
			if d.Status != "overdue" || d.DaysLeft >= 0 {
				t.Errorf("The Bent Arms' decision = %+v, want overdue", d)
			}
		}
	}
	if !found {
		t.Errorf("no overdue decision for The Bent Arms in %+v", page.Items)
	}
	problem(t, rs.get("/v1/councils/E99999999/deadlines", "Authorization: admin"), http.StatusNotFound)
}

// TestReadParameters: every malformed parameter is a 400 problem naming it.
func TestReadParameters(t *testing.T) {
	rs := newReadStack(t, true)
	id := rs.id("The Red Lion")
	tomorrow := readToday.AddDays(1).String()
	for _, tt := range []struct {
		path   string
		fields []string
	}{
		{"/v1/register?limit=0", []string{"limit"}},
		{"/v1/register?limit=1001", []string{"limit"}},
		{"/v1/register?limit=ten", []string{"limit"}},
		{"/v1/register?limit=5&limit=6", []string{"limit"}},
		{"/v1/register?as_of=2026-02-30", []string{"as_of"}},
		{"/v1/register?as_of=" + tomorrow, []string{"as_of"}},
		{"/v1/register?bbox=1,2,3", []string{"bbox"}},
		{"/v1/register?bbox=0,0,200,10", []string{"bbox"}},
		{"/v1/register?bbox=1,1,0,0", []string{"bbox"}},
		{"/v1/register?bbox=a,b,c,d", []string{"bbox"}},
		{"/v1/register?status=nominated", []string{"status"}},
		{"/v1/register?postcode=not-a-postcode", []string{"postcode"}},
		{"/v1/register?format=xml", []string{"format"}},
		{"/v1/register?q=" + strings.Repeat("x", 201), []string{"q"}},
		{"/v1/register?limit=0&as_of=yesterday&bbox=1", []string{"limit", "as_of", "bbox"}},
		{"/v1/register?cursor=garbage", []string{"cursor"}},
		{"/v1/councils/" + demo.MidSussex + "/register?as_of=01/02/2026", []string{"as_of"}},
		{"/v1/councils/" + demo.MidSussex + "/unsuccessful-nominations?limit=-1", []string{"limit"}},
		{"/v1/moratoria?status=open", []string{"status"}},
		{"/v1/moratoria?cursor=garbage", []string{"cursor"}},
		{"/v1/changes?after=-1", []string{"after"}},
		{"/v1/changes?after=999999", []string{"after"}},
		{"/v1/changes?limit=5000", []string{"limit"}},
		{"/v1/changes?format=rss", []string{"format"}},
		{"/v1/assets/" + id + "/events?cursor=zzz", []string{"cursor"}},
		{"/v1/assets/" + id + "/events?limit=0", []string{"limit"}},
		{"/v1/stats?min_position=abc", []string{"min_position"}},
		{"/v1/stats?min_position=-4", []string{"min_position"}},
		{"/v1/assets/" + id + "?min_position=999999", []string{"min_position"}},
	} {
		t.Run(tt.path, func(t *testing.T) {
			p := problem(t, rs.get(tt.path), http.StatusBadRequest)
			var fields []string
			errs, _ := p["errors"].([]any)
			for _, e := range errs {
				fields = append(fields, e.(map[string]any)["field"].(string))
			}
			slices.Sort(fields)
			want := slices.Clone(tt.fields)
			slices.Sort(want)
			if !slices.Equal(fields, want) {
				t.Errorf("problem names %v, want %v: %v", fields, tt.fields, p)
			}
		})
	}
}

// TestMinPosition: a read waits for the read models to catch up with a
// write, and answers 503 with Retry-After when they do not in time. An
// asset's page, derived from its stream, is never behind the log.
func TestMinPosition(t *testing.T) {
	rs := newReadStack(t, true)
	id := rs.id("The Red Lion")
	saved, err := rs.assets.Update(context.Background(), id, -1, func(a *domain.Asset) error {
		nid := a.Nominations()[0].Received.NominationID
		return a.DecideNomination(nid, domain.Decision{Outcome: domain.Listed, DecidedOn: readToday}, readToday)
	})
	if err != nil {
		t.Fatal(err)
	}
	page := rs.mustGet(http.StatusOK, "/v1/assets/"+id).object(t)
	if page["status"] != "listed" {
		t.Errorf("the asset's page before the read models catch up: status %v, want listed", page["status"])
	}
	register := fmt.Sprintf("/v1/councils/%s/register", page["council"])
	listed := func(path string) bool {
		var body struct {
			Items []struct {
				AssetID string `json:"asset_id"`
			} `json:"items"`
		}
		rs.mustGet(http.StatusOK, path).json(t, &body)
		return slices.ContainsFunc(body.Items, func(e struct {
			AssetID string `json:"asset_id"`
		}) bool {
			return e.AssetID == id
		})
	}
	path := fmt.Sprintf("%s?min_position=%d", register, saved.Position)
	g := rs.get(path, "Prefer: wait=0")
	problem(t, g, http.StatusServiceUnavailable)
	if g.header.Get("Retry-After") != "1" {
		t.Errorf("503 without Retry-After: %v", g.header)
	}
	// Without the position the register answers at once, from the old state.
	if listed(register) {
		t.Error("the asset is on the register before the read models catch up")
	}
	rs.catchUp()
	if !listed(path) {
		t.Error("the asset is not on the register after catching up")
	}
	rs.mustGet(http.StatusOK, "/v1/stats?min_position=0")
}

// TestReadYourWrites: with the projector following the log, a read with
// the position a write answered with sees the write.
func TestReadYourWrites(t *testing.T) {
	rs := newReadStack(t, false)
	rs.follow()
	for i := range 5 {
		g := rs.postJSON("/v1/councils/"+demo.MidSussex+"/nominations", nominationRequestBody(fmt.Sprintf("The Crown %d", i)))
		if g.status != http.StatusCreated {
			t.Fatalf("nominate: %d %s", g.status, g.body)
		}
		var w struct {
			AssetID  string `json:"asset_id"`
			Position int64  `json:"position"`
		}
		g.json(t, &w)
		a := rs.mustGet(http.StatusOK, fmt.Sprintf("/v1/assets/%s?min_position=%d", w.AssetID, w.Position)).object(t)
		if a["name"] != fmt.Sprintf("The Crown %d", i) {
			t.Errorf("read after write %d = %v", i, a)
		}
		tl := rs.mustGet(http.StatusOK, fmt.Sprintf("/v1/assets/%s/timeline?min_position=%d", w.AssetID, w.Position)).object(t)
		if items := tl["items"].([]any); len(items) != 1 {
			t.Errorf("timeline after write %d has %d entries", i, len(items))
		}
	}
}
