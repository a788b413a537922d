package personal

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestWalkFindsPersonalFieldsWithTheirSubjects(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{
		"nomination_id": "n1",
		"nominator": {"id": "b1", "name": "Ann Body", "kind": "individual", "local_connection": true},
		"owner": {"id": "p1", "name": "Ann Owner", "address": "1 Lane"},
		"buyer": {"id": "org:co", "name": "Co Ltd"},
		"bidder": {"id": "grp-1", "name": "Friends"},
		"seller": {"id": "org:co", "name": "Co Ltd"},
		"recipients": [{"role": "owner", "party": {"name": "No Id"}}],
		"land": {"name": "The Pub", "address": "2 Street", "id": "x", "public_body": true},
		"a/b": {"name": "Shaped", "address": "3 Road"},
		"local_extras": {"electors": "E1"},
		"reasons": "public"
	}`), &v); err != nil {
		t.Fatal(err)
	}
	type found struct{ pointer, subject, scope string }
	var got []found
	Walk(v, func(id string) bool { return id == "grp-1" }, func(f Field) {
		got = append(got, found{f.Pointer, f.Subject, f.Scope})
	})
	want := []found{
		{"/a~1b/name", "", "/a~1b"}, {"/a~1b/address", "", "/a~1b"},
		{"/local_extras", "nomination:n1", "/local_extras"},
		{"/nominator/id", "party:b1", "/nominator"}, {"/nominator/name", "party:b1", "/nominator"},
		{"/owner/id", "party:p1", "/owner"}, {"/owner/name", "party:p1", "/owner"}, {"/owner/address", "party:p1", "/owner"},
		{"/recipients/0/party/name", "", "/recipients/0/party"},
		{"/seller/id", "party:org:co", "/seller"}, {"/seller/name", "party:org:co", "/seller"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Walk found\n%v\nwant\n%v", got, want)
	}
}

func TestIsOrganisationID(t *testing.T) {
	for id, want := range map[string]bool{"org:co": true, "GB-COH-123": true, "local-authority:MDS": true, "owner-1": false, "": false} {
		if IsOrganisationID(id) != want {
			t.Errorf("IsOrganisationID(%q) = %v", id, !want)
		}
	}
}
