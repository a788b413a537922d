package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/mux"
)

// The OpenAPI document is the detailed contract of api.md. These tests keep
// it true: the document is valid; every route of the router is in it and
// every operation in it is a route; and real requests to a real server - a
// read of every read route, a whole lifecycle through every write route,
// the errors - validate against it with kin-openapi, responses included
// (status, headers, body), so a field the server adds or drops, or a status
// it answers that the document does not list, fails here.

// contract validates exchanges with the server against the document.
type contract struct {
	t      *testing.T
	rs     *readStack
	doc    *openapi3.T
	router routers.Router
	// exercised records, per operation id, the statuses it answered.
	exercised map[string][]int
}

// loadContract fetches the document from the server and checks that it is
// a valid OpenAPI 3.1 document.
func loadContract(t *testing.T, rs *readStack) *contract {
	t.Helper()
	g := rs.mustGet(http.StatusOK, "/openapi.json")
	if ct := g.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET /openapi.json Content-Type %q", ct)
	}
	doc, err := openapi3.NewLoader().LoadFromData(g.body)
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	checkDocument(t, g.body)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("route the OpenAPI document: %v", err)
	}
	return &contract{t: t, rs: rs, doc: doc, router: router, exercised: map[string][]int{}}
}

// checkDocument validates the document with kin-openapi. kin-openapi
// v0.133 checks schemas in OpenAPI 3.0's dialect; the one 3.1 feature the
// document uses is "null" in a type array, which is checked here in its
// 3.0 spelling (nullable: true) - the validators of the exchanges below
// understand the 3.1 spelling itself.
func checkDocument(t *testing.T, raw []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("the OpenAPI document is not JSON: %v", err)
	}
	var to30 func(any)
	to30 = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if types, ok := v["type"].([]any); ok && slices.Contains(types, any("null")) {
				rest := slices.DeleteFunc(slices.Clone(types), func(x any) bool { return x == "null" })
				if len(rest) == 1 {
					v["type"] = rest[0]
				} else {
					v["type"] = rest
				}
				v["nullable"] = true
			}
			for _, e := range v {
				to30(e)
			}
		case []any:
			for _, e := range v {
				to30(e)
			}
		}
	}
	to30(v)
	b, _ := json.Marshal(v)
	doc30, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("load the document: %v", err)
	}
	if err := doc30.Validate(context.Background(), openapi3.EnableSchemaFormatValidation(),
		openapi3.EnableSchemaPatternValidation(), openapi3.EnableExamplesValidation()); err != nil {
		t.Errorf("the OpenAPI document is not valid: %v", err)
	}
	ids := map[string]bool{}
	for path, item := range doc30.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
			if op.Summary == "" {
				t.Errorf("%s %s has no summary", method, path)
			}
		}
	}
}

// exchange is one request of the contract tests.
type exchange struct {
	method, path string
	body         any      // sent as JSON
	header       []string // "Key: value"; "Authorization: admin" is the administrator
	// invalid marks a request the document itself refuses (a bad
	// parameter); only its response is validated.
	invalid bool
	status  int // the status expected
}

// do sends x to the server, validating the request (unless x.invalid) and
// the response against the document, and returns the response.
func (c *contract) do(x exchange) got {
	c.t.Helper()
	var body []byte
	if x.body != nil {
		var err error
		if body, err = json.Marshal(x.body); err != nil {
			c.t.Fatal(err)
		}
	}
	newRequest := func() *http.Request {
		req, err := http.NewRequest(x.method, c.rs.srv.URL+x.path, bytes.NewReader(body))
		if err != nil {
			c.t.Fatal(err)
		}
		if x.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for _, h := range x.header {
			k, v, _ := strings.Cut(h, ": ")
			if k == "Authorization" && v == "admin" {
				v = "Bearer " + readAdmin
			}
			req.Header.Set(k, v)
		}
		return req
	}

	// Validate the request as the server will receive it.
	req := newRequest()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Fatalf("%s %s: not in the OpenAPI document: %v", x.method, x.path, err)
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: bearerOnly}}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil && !x.invalid {
		c.t.Errorf("%s %s: the request does not match the document: %v", x.method, x.path, err)
	}

	resp, err := c.rs.srv.Client().Do(newRequest())
	if err != nil {
		c.t.Fatalf("%s %s: %v", x.method, x.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read the body: %v", x.method, x.path, err)
	}
	g := got{status: resp.StatusCode, header: resp.Header, body: raw}
	if x.status != 0 && g.status != x.status {
		c.t.Errorf("%s %s = %d, want %d: %s", x.method, x.path, g.status, x.status, raw)
	}
	c.exercised[route.Operation.OperationID] = append(c.exercised[route.Operation.OperationID], g.status)

	// Validate the response. kin-openapi decodes JSON, problem+json, CSV
	// and plain text bodies itself; a GeoJSON body is checked against its
	// schema here, and an Atom feed must be well-formed XML.
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := strings.Cut(ct, ";")
	own := mt == "application/geo+json" || mt == "application/atom+xml"
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: g.status, Header: resp.Header,
		Body:    io.NopCloser(bytes.NewReader(raw)),
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true, ExcludeResponseBody: own}}
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		c.t.Errorf("%s %s: the %d response does not match the document: %v\n%s", x.method, x.path, g.status, err, clip(raw))
	}
	switch mt {
	case "application/geo+json":
		media := route.Operation.Responses.Status(g.status).Value.Content.Get(mt)
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			c.t.Fatalf("%s %s: GeoJSON is not JSON: %v", x.method, x.path, err)
		}
		if err := media.Schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
			c.t.Errorf("%s %s: GeoJSON does not match the document: %v", x.method, x.path, err)
		}
	case "application/atom+xml":
		if err := xml.Unmarshal(raw, new(struct{})); err != nil {
			c.t.Errorf("%s %s: the Atom feed is not XML: %v", x.method, x.path, err)
		}
	}
	return g
}

// bearerOnly satisfies a bearer security requirement when the request has
// a bearer token; the server decides whether it is good.
func bearerOnly(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme.Type == "http" && in.SecurityScheme.Scheme == "bearer" &&
		strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return nil
	}
	return errors.New("no bearer token")
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// TestOpenAPIDocumentsEveryRoute: the router and the document list the
// same routes, method by method.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	rs := newReadStack(t, false)
	c := loadContract(t, rs)
	var routes []string
	err := api.RouterOf(rs.server).Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := r.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := r.GetMethods()
		if err != nil {
			return fmt.Errorf("route %s has no methods: %w", path, err)
		}
		for _, m := range methods {
			routes = append(routes, m+" "+path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in the OpenAPI document", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("the OpenAPI document has %s, which the router does not serve", d)
		}
	}
	if len(routes) < 40 {
		t.Errorf("only %d routes: %v", len(routes), routes)
	}
}

// TestOpenAPIValidatesReads runs every read route, and the errors of
// reads, against a real server over the demo registry.
func TestOpenAPIValidatesReads(t *testing.T) {
	rs := newReadStack(t, true)
	c := loadContract(t, rs)
	lamb, forge := rs.id("The Lamb and Flag"), privateOwnerAsset(t, rs)
	reg := "/v1/councils/" + demo.Westminster + "/register"
	etag := rs.mustGet(http.StatusOK, "/v1/assets/"+lamb).header.Get("ETag")
	for _, x := range []exchange{
		{method: "GET", path: "/healthz", status: 200},
		{method: "HEAD", path: "/healthz", status: 200},
		{method: "GET", path: "/readyz", status: 200},
		{method: "HEAD", path: "/readyz", status: 200},
		{method: "GET", path: "/metrics", status: 200},
		{method: "HEAD", path: "/metrics", status: 200},
		{method: "GET", path: "/openapi.json", status: 200},
		{method: "GET", path: "/v1/councils", status: 200},
		{method: "GET", path: "/v1/councils/" + demo.MidSussex, status: 200},
		{method: "GET", path: "/v1/councils/E99999999", status: 404},
		{method: "GET", path: reg, status: 200},
		{method: "GET", path: reg + "?as_of=2025-01-01&limit=1", status: 200},
		{method: "GET", path: reg + "?format=csv", status: 200},
		{method: "GET", path: reg, header: []string{"Accept: text/csv"}, status: 200},
		{method: "GET", path: reg + "?format=geojson", status: 200},
		{method: "GET", path: reg, header: []string{"Accept: application/geo+json"}, status: 200},
		{method: "GET", path: reg + "?as_of=2025-02-30", invalid: true, status: 400},
		{method: "GET", path: reg + "?limit=0", invalid: true, status: 400},
		{method: "GET", path: "/v1/councils/E99999999/register", status: 404},
		{method: "GET", path: "/v1/councils/" + demo.Westminster + "/unsuccessful-nominations", status: 200},
		{method: "GET", path: "/v1/councils/" + demo.Westminster + "/unsuccessful-nominations?format=csv", status: 200},
		{method: "GET", path: "/v1/councils/" + demo.Westminster + "/unsuccessful-nominations?format=geojson", status: 200},
		{method: "GET", path: "/v1/councils/" + demo.MidSussex + "/deadlines", header: []string{"Authorization: admin"}, status: 200},
		{method: "GET", path: "/v1/councils/" + demo.MidSussex + "/deadlines?limit=1", header: []string{"Authorization: admin"}, status: 200},
		{method: "GET", path: "/v1/councils/" + demo.MidSussex + "/deadlines", invalid: true, status: 401},
		{method: "GET", path: "/v1/councils/" + demo.MidSussex + "/deadlines", header: []string{"Authorization: Bearer wrong"}, status: 401},
		{method: "GET", path: "/v1/register", status: 200},
		{method: "GET", path: "/v1/register?q=library&status=listed&limit=1", status: 200},
		{method: "GET", path: "/v1/register?postcode=SW1V&bbox=-0.2,51.4,0,51.6&council=" + demo.Westminster, status: 200},
		{method: "GET", path: "/v1/register?format=csv", status: 200},
		{method: "GET", path: "/v1/register?format=geojson&q=forge", status: 200}, // a feature without a point
		{method: "GET", path: "/v1/register?bbox=1,2,3", invalid: true, status: 400},
		{method: "GET", path: "/v1/register?status=open", invalid: true, status: 400},
		{method: "GET", path: "/v1/assets/" + lamb, status: 200},
		{method: "GET", path: "/v1/assets/" + forge, status: 200},
		{method: "GET", path: "/v1/assets/" + lamb, header: []string{"If-None-Match: " + etag}, status: 304},
		{method: "GET", path: "/v1/assets/unknown", status: 404},
		{method: "GET", path: "/v1/assets/" + lamb + "/timeline", status: 200},
		{method: "GET", path: "/v1/assets/unknown/timeline", status: 404},
		{method: "GET", path: "/v1/assets/" + forge + "/events", status: 200},
		{method: "GET", path: "/v1/assets/" + forge + "/events?limit=1", header: []string{"Authorization: admin"}, status: 200},
		{method: "GET", path: "/v1/assets/" + forge + "/events?cursor=bad", status: 400},
		{method: "GET", path: "/v1/assets/unknown/events", status: 404},
		{method: "GET", path: "/v1/assets/" + lamb + "/verify", status: 200},
		{method: "GET", path: "/v1/assets/unknown/verify", status: 404},
		{method: "GET", path: "/v1/moratoria", status: 200},
		{method: "GET", path: "/v1/moratoria?status=full&limit=1", status: 200},
		{method: "GET", path: "/v1/moratoria?status=open", invalid: true, status: 400},
		{method: "GET", path: "/v1/stats", status: 200},
		{method: "GET", path: "/v1/stats?min_position=1", status: 200},
		{method: "GET", path: "/v1/stats?min_position=x", invalid: true, status: 400},
		{method: "GET", path: "/v1/changes", status: 200},
		{method: "GET", path: "/v1/changes?after=3&limit=2", status: 200},
		{method: "GET", path: "/v1/changes?limit=2", header: []string{"Accept: application/atom+xml"}, status: 200},
		{method: "GET", path: "/v1/changes?format=atom", status: 200},
		{method: "GET", path: "/v1/changes?after=-1", invalid: true, status: 400},
	} {
		c.do(x)
	}

	// A write the read models have not caught up with: 503, Retry-After.
	saved := nominateDirectly(t, rs)
	c.do(exchange{method: "GET", path: fmt.Sprintf("/v1/assets/%s?min_position=%d", saved, lastPosition(t, rs)),
		header: []string{"Prefer: wait=0"}, status: 503})

	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			// integrations: webhooks_test.go; access: access_openapi_test.go
			if op.Tags[0] == "writes" || op.Tags[0] == "integrations" || op.Tags[0] == "access" {
				continue
			}
			if !slices.ContainsFunc(c.exercised[op.OperationID], func(s int) bool { return s < 300 }) {
				t.Errorf("%s %s (%s) was never answered with success", method, path, op.OperationID)
			}
		}
	}
}

// nominateDirectly records a nomination through the repository, without
// bringing the read models up to date, and returns the asset's id.
func nominateDirectly(t *testing.T, rs *readStack) string {
	t.Helper()
	g := rs.postJSON("/v1/councils/"+demo.MidSussex+"/nominations", nominationRequestBody("The Unpublished Arms"))
	if g.status != http.StatusCreated {
		t.Fatalf("nominate: %d %s", g.status, g.body)
	}
	var w struct {
		AssetID string `json:"asset_id"`
	}
	g.json(t, &w)
	return w.AssetID
}

// lastPosition is the position of the log's last event.
func lastPosition(t *testing.T, rs *readStack) int64 {
	t.Helper()
	p, err := rs.store.LastPosition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// postJSON posts body as the administrator, without validation.
func (rs *readStack) postJSON(path string, body any) got {
	rs.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		rs.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, rs.srv.URL+path, bytes.NewReader(b))
	if err != nil {
		rs.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+readAdmin)
	resp, err := rs.srv.Client().Do(req)
	if err != nil {
		rs.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return got{status: resp.StatusCode, header: resp.Header, body: raw}
}

// nominationRequestBody is a valid nomination of a pub called name.
func nominationRequestBody(name string) map[string]any {
	return map[string]any{
		"received_on": "2025-01-06",
		"nominator":   map[string]any{"id": "org-friends", "name": "Friends of " + name, "kind": "charity", "local_connection": true},
		"land": map[string]any{"name": name, "description": "A village pub with a garden", "boundaries": "Title SK123456",
			"address": "1 High Street, Ashby", "postcode": "LE65 1AA", "use": "partly_residential",
			"point": map[string]any{"lat": 52.746, "lon": -1.476}, "category": "pub"},
		"owner":     map[string]any{"id": "owner-1", "name": "Brewery Ltd"},
		"interests": []any{map[string]any{"holder": map[string]any{"id": "owner-1", "name": "Brewery Ltd"}, "estate": "freehold"}},
		"reasons":   "The only pub in the village; it hosts the darts league and the parish meetings.",
		"evidence":  "Charity number 1234567; constitution attached.",
	}
}

// TestOpenAPIValidatesWrites drives one asset through every write route of
// the lifecycle (WRITES.md's sequence) and the errors every write shares,
// validating each exchange, and then reads the result back.
func TestOpenAPIValidatesWrites(t *testing.T) {
	rs := newReadStack(t, false)
	c := loadContract(t, rs)
	ids := map[string]string{}
	// fill replaces the placeholders ASSET, NOM, REV ... in s by the ids
	// earlier steps answered with.
	fill := func(s string) string {
		for k, v := range ids {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}
	var fillBody func(v any) any
	fillBody = func(v any) any {
		switch v := v.(type) {
		case string:
			return fill(v)
		case map[string]any:
			out := map[string]any{}
			for k, e := range v {
				out[k] = fillBody(e)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				out[i] = fillBody(e)
			}
			return out
		}
		return v
	}
	owner1 := map[string]any{"role": "owner", "party": map[string]any{"name": "Brewery Ltd"}}
	group := map[string]any{"name": "Red Lion Community Pub Ltd", "kind": "cooperative_society", "local_connection": true}
	a := "/v1/assets/ASSET"
	for _, st := range []struct {
		path   string
		body   map[string]any
		status int
		keep   string // the answer's field to remember ...
		as     string // ... under this placeholder
	}{
		{"/v1/councils/" + demo.MidSussex + "/nominations", nominationRequestBody("The Red Lion"), 201, "nomination_id", "NOM"},
		{a + "/notices", map[string]any{"kind": "consultation", "subject": "NOM", "method": "post", "given_on": "2025-01-10", "recipients": []any{owner1}}, 201, "", ""},
		{a + "/nominations/NOM/decision", map[string]any{"outcome": "listed", "decided_on": "2025-02-20"}, 201, "", ""},
		{a + "/notices", map[string]any{"kind": "listing", "subject": "NOM", "method": "post", "given_on": "2025-02-21", "recipients": []any{owner1}}, 201, "", ""},
		{a + "/nominations/NOM/review-window", map[string]any{"until": "2025-05-30", "extended_on": "2025-03-01"}, 201, "", ""},
		{a + "/reviews", map[string]any{"requester": map[string]any{"id": "owner-1"}, "received_on": "2025-03-10", "oral_hearing": true}, 201, "review_id", "REV"},
		{a + "/reviews/REV/extension", map[string]any{"until": "2025-06-30", "agreed_on": "2025-04-01"}, 201, "", ""},
		{a + "/reviews/REV/decision", map[string]any{"outcome": "upheld", "reasons": "It furthers social wellbeing.", "decided_on": "2025-06-01"}, 201, "", ""},
		{a + "/appeals", map[string]any{"review_id": "REV", "case_number": "CR/2025/0001", "appellant": map[string]any{"id": "owner-1"}, "lodged_on": "2025-06-10"}, 201, "appeal_id", "APP"},
		{a + "/appeals/APP/decision", map[string]any{"outcome": "dismissed", "decided_on": "2025-09-01"}, 201, "", ""},
		{a + "/owners", map[string]any{"owner": map[string]any{"id": "owner-2", "name": "Pub Co"}, "changed_on": "2025-10-01"}, 201, "", ""},
		{a + "/owners", map[string]any{"owner": map[string]any{"id": "owner-2", "name": "Pub Co"}, "changed_on": "2025-10-01"}, 200, "", ""},
		{a + "/disposal-notices", map[string]any{"owner": map[string]any{"id": "owner-2"}, "received_on": "2026-01-05"}, 201, "notice_id", "NOT"},
		{a + "/bidder-requests", map[string]any{"group": group, "received_on": "2026-01-20"}, 201, "request_id", "REQ"},
		{a + "/bidder-requests", map[string]any{"group": map[string]any{"name": "Ashby Parish Council", "kind": "parish_council", "local_connection": true}, "received_on": "2026-03-01"}, 201, "", ""},
		{a + "/bids", map[string]any{"bidder": map[string]any{"name": "Red Lion Community Pub Ltd"}, "request_id": "REQ", "amount_pence": 45000000, "terms": "subject to survey", "submitted_on": "2026-02-01"}, 201, "bid_id", "BID"},
		{a + "/bids/BID/status", map[string]any{"status": "accepted", "changed_on": "2026-03-01"}, 201, "", ""},
		{a + "/disposals", map[string]any{"kind": "relevant", "buyer": map[string]any{"name": "Red Lion Community Pub Ltd"}, "buyer_group": group, "disposed_on": "2026-04-01"}, 201, "disposal_id", "DSP"},
		{a + "/disposal-notices/NOT/outcome", map[string]any{"outcome": "sold_to_cig", "outcome_on": "2026-04-02"}, 201, "", ""},
		{a + "/compensation-claims", map[string]any{"claimant": map[string]any{"id": "owner-2"}, "loss_incurred_on": "2026-04-01", "received_on": "2026-04-15",
			"parts": []any{map[string]any{"description": "Delay to the sale", "amount_pence": 500000}}, "evidence": "Invoices"}, 201, "claim_id", "CLM"},
		{a + "/compensation-claims/CLM/decision", map[string]any{"award_pence": 100000, "reasons": "Part of the delay is shown.", "decided_on": "2026-04-20"}, 201, "", ""},
		{a + "/compensation-claims/CLM/review-window", map[string]any{"until": "2026-07-31", "extended_on": "2026-04-25"}, 201, "", ""},
		{a + "/compensation-claims/CLM/review", map[string]any{"requester": map[string]any{"id": "owner-2"}, "received_on": "2026-05-01"}, 201, "", ""},
		{a + "/compensation-claims/CLM/review/decision", map[string]any{"award_pence": 200000, "reasons": "More of the delay is shown.", "decided_on": "2026-05-10"}, 201, "", ""},
		{a + "/compensation-claims/CLM/appeal", map[string]any{"case_number": "CR/2026/0002", "lodged_on": "2026-05-20"}, 201, "", ""},
		{a + "/compensation-claims/CLM/appeal/decision", map[string]any{"outcome": "allowed", "award_pence": 300000, "decided_on": "2026-05-30"}, 201, "", ""},
		{a + "/removal", map[string]any{"reason": "relevant_disposal", "ref": "DSP", "removed_on": "2026-05-31"}, 201, "", ""},
	} {
		g := c.do(exchange{method: "POST", path: fill(st.path), body: fillBody(st.body), header: []string{"Authorization: admin"}, status: st.status})
		var answer map[string]any
		g.json(t, &answer)
		if _, ok := ids["ASSET"]; !ok {
			ids["ASSET"], _ = answer["asset_id"].(string)
		}
		if st.keep != "" {
			ids[st.as], _ = answer[st.keep].(string)
		}
		if t.Failed() {
			t.FailNow() // later steps need this one's ids
		}
	}

	// The errors every write shares.
	asset := ids["ASSET"]
	decide := "/v1/assets/" + asset + "/nominations/" + ids["NOM"] + "/decision"
	for _, x := range []exchange{
		{method: "POST", path: decide, body: map[string]any{"outcome": "listed"}, status: 401, invalid: true},
		{method: "POST", path: decide, body: map[string]any{"outcome": "listed"}, header: []string{"Authorization: Bearer wrong"}, status: 401},
		{method: "POST", path: decide, body: map[string]any{"outcome": "listed", "decided_on": "2026-13-01"}, header: []string{"Authorization: admin"}, status: 400, invalid: true},
		{method: "POST", path: decide, body: map[string]any{"outcome": "listed", "colour": "red"}, header: []string{"Authorization: admin"}, status: 400, invalid: true},
		{method: "POST", path: decide, body: map[string]any{"outcome": "listed"}, header: []string{"Authorization: admin"}, status: 422},
		{method: "POST", path: decide, body: map[string]any{"outcome": "listed"}, header: []string{"Authorization: admin", `If-Match: "1"`}, status: 412},
		{method: "POST", path: "/v1/assets/" + asset + "/nominations/unknown/decision", body: map[string]any{"outcome": "listed"}, header: []string{"Authorization: admin"}, status: 404},
		{method: "POST", path: "/v1/assets/" + asset + "/removal", body: map[string]any{"reason": "expired"}, header: []string{"Authorization: admin", "Idempotency-Key: k1"}},
	} {
		c.do(x)
	}

	// What the writes made reads back through the same contract.
	rs.catchUp()
	for _, p := range []string{"/v1/assets/" + asset, "/v1/assets/" + asset + "/timeline", "/v1/assets/" + asset + "/events",
		"/v1/assets/" + asset + "/verify", "/v1/councils/" + demo.MidSussex + "/register?as_of=2026-01-01",
		"/v1/moratoria", "/v1/register?format=geojson&as_of=2026-01-01", "/v1/changes?format=atom"} {
		c.do(exchange{method: "GET", path: p, status: 200})
	}

	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Tags[0] != "writes" {
				continue
			}
			if !slices.ContainsFunc(c.exercised[op.OperationID], func(s int) bool { return s < 300 }) {
				t.Errorf("%s %s (%s) was never answered with success", method, path, op.OperationID)
			}
		}
	}
}
