package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIValidatesAccess runs every organisation and token route, with
// their errors, against the document.
func TestOpenAPIValidatesAccess(t *testing.T) {
	rs := newReadStack(t, false)
	c := loadContract(t, rs)
	admin := []string{"Authorization: admin"}
	council := map[string]any{"id": "E07000239", "kind": "council", "name": "Wyre Forest District Council", "neighbours": []any{"E07000234"}}
	group := map[string]any{"kind": "community_group", "name": "Friends of the Red Lion", "legal_form": "charity",
		"registered_numbers": []any{map[string]any{"register": "charity", "number": "1234567"}}, "serves": []any{"E07000239"}}
	c.do(exchange{method: "POST", path: "/v1/organisations", body: council, header: admin, status: 201})
	c.do(exchange{method: "POST", path: "/v1/organisations", body: council, header: admin, status: 409})
	g := c.do(exchange{method: "POST", path: "/v1/organisations", body: group, header: admin, status: 201})
	var made struct {
		ID       string `json:"id"`
		Position int64  `json:"position"`
	}
	if err := json.Unmarshal(g.body, &made); err != nil || made.ID == "" {
		t.Fatalf("register answered %s", g.body)
	}
	c.do(exchange{method: "POST", path: "/v1/organisations", body: map[string]any{"kind": "council", "name": "X"}, header: admin, status: 400})
	c.do(exchange{method: "POST", path: "/v1/organisations", body: map[string]any{"kind": "owner", "name": "X"}, invalid: true, status: 401})
	c.do(exchange{method: "PATCH", path: "/v1/organisations/" + made.ID, body: map[string]any{"name": "Friends of the Red Lion Inn"}, header: admin, status: 200})
	c.do(exchange{method: "PATCH", path: "/v1/organisations/" + made.ID, body: map[string]any{"name": "X"}, header: []string{"Authorization: admin", `If-Match: "1"`}, status: 412})
	c.do(exchange{method: "PATCH", path: "/v1/organisations/org-unknown", body: map[string]any{"name": "X"}, header: admin, status: 404})
	rs.catchUp()
	c.do(exchange{method: "GET", path: "/v1/organisations", status: 200})
	c.do(exchange{method: "GET", path: "/v1/organisations?kind=council&limit=1", status: 200})
	c.do(exchange{method: "GET", path: "/v1/organisations?kind=person", invalid: true, status: 400})
	c.do(exchange{method: "GET", path: "/v1/organisations/" + made.ID, status: 200})
	c.do(exchange{method: "GET", path: "/v1/organisations/org-unknown", status: 404})

	tok := c.do(exchange{method: "POST", path: "/v1/tokens", body: map[string]any{"org": "E07000239", "role": "council_officer", "name": "planning team", "expires": "30d"}, header: admin, status: 201})
	var created struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal(tok.body, &created); err != nil || created.Token == "" {
		t.Fatalf("token answered %s", tok.body)
	}
	c.do(exchange{method: "POST", path: "/v1/tokens", body: map[string]any{"org": "org-unknown", "role": "owner"}, header: admin, status: 400})
	c.do(exchange{method: "POST", path: "/v1/tokens", body: map[string]any{"org": "E07000239", "role": "mayor"}, invalid: true, header: admin, status: 400})
	c.do(exchange{method: "POST", path: "/v1/tokens", body: map[string]any{"role": "administrator"}, header: []string{"Authorization: Bearer " + created.Token}, status: 403})
	list := c.do(exchange{method: "GET", path: "/v1/tokens", header: admin, status: 200})
	if _, secret, _ := strings.Cut(strings.TrimPrefix(created.Token, "acv_"), "_"); strings.Contains(string(list.body), secret) ||
		strings.Contains(string(list.body), "hash") {
		t.Errorf("the token list shows a secret or a hash: %s", list.body)
	}
	c.do(exchange{method: "GET", path: "/v1/tokens?org=E07000239", header: admin, status: 200})
	c.do(exchange{method: "GET", path: "/v1/tokens", invalid: true, status: 401})
	c.do(exchange{method: "DELETE", path: "/v1/tokens/" + created.ID, header: admin, status: 200})
	c.do(exchange{method: "DELETE", path: "/v1/tokens/tok-unknown", header: admin, status: 404})
	c.do(exchange{method: "GET", path: "/v1/tokens", header: []string{"Authorization: Bearer " + created.Token}, status: 401})

	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Tags[0] != "access" {
				continue
			}
			if !slices.ContainsFunc(c.exercised[op.OperationID], func(s int) bool { return s < 300 }) {
				t.Errorf("%s %s (%s) was never answered with success", method, path, op.OperationID)
			}
		}
	}
}
