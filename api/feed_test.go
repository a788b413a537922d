package api_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// change is one item of the JSON feed.
type change struct {
	ID            string `json:"id"`
	Position      int64  `json:"position"`
	Stream        string `json:"stream"`
	Type          string `json:"type"`
	Version       int64  `json:"version"`
	EffectiveDate string `json:"effective_date"`
	AssetID       string `json:"asset_id"`
	Summary       string `json:"summary"`
}

func TestChangeFeed(t *testing.T) {
	rs := newReadStack(t, true)
	log, err := rs.store.ReadAll(context.Background(), 0, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	var all []change
	after := int64(0)
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("the feed does not end")
		}
		var page struct {
			Items []change `json:"items"`
			Next  int64    `json:"next"`
		}
		rs.mustGet(http.StatusOK, fmt.Sprintf("/v1/changes?after=%d&limit=7", after)).json(t, &page)
		if len(page.Items) == 0 {
			if page.Next != after {
				t.Errorf("an empty page's next is %d, want %d", page.Next, after)
			}
			break
		}
		if len(page.Items) > 7 || page.Next != page.Items[len(page.Items)-1].Position {
			t.Errorf("page of %d items, next %d", len(page.Items), page.Next)
		}
		all = append(all, page.Items...)
		after = page.Next
	}
	if len(all) != len(log) {
		t.Fatalf("the feed has %d changes, the log %d events", len(all), len(log))
	}
	for i, c := range all {
		e := log[i]
		if c.ID != e.ID.String() || c.Position != e.Position || c.Type != e.Type || c.Version != e.Version ||
			c.Stream != e.Stream || "asset-"+c.AssetID != e.Stream || c.EffectiveDate != e.Metadata.EffectiveDate.String() {
			t.Errorf("change %d = %+v, event %+v", i, c, e)
		}
		if !strings.Contains(c.Summary, c.EffectiveDate) || strings.Contains(c.Summary, "{") {
			t.Errorf("summary %q", c.Summary)
		}
	}
}

// atomFeed is what the tests read of an Atom feed.
type atomFeed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  string   `xml:"author>name"`
	Links   []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID       string `xml:"id"`
		Title    string `xml:"title"`
		Updated  string `xml:"updated"`
		Summary  string `xml:"summary"`
		Category struct {
			Term string `xml:"term,attr"`
		} `xml:"category"`
		Link struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
	} `xml:"entry"`
}

func TestAtomFeed(t *testing.T) {
	rs := newReadStack(t, true)
	log, err := rs.store.ReadAll(context.Background(), 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []struct {
		path   string
		header []string
	}{
		{"/v1/changes?limit=5", []string{"Accept: application/atom+xml"}},
		{"/v1/changes?limit=5&format=atom", nil},
	} {
		g := rs.mustGet(http.StatusOK, req.path, req.header...)
		if ct := g.header.Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", req.path, ct)
		}
		var feed atomFeed
		if err := xml.Unmarshal(g.body, &feed); err != nil {
			t.Fatalf("%s: not an Atom feed: %v\n%s", req.path, err, g.body)
		}
		if feed.ID == "" || feed.Title == "" || feed.Author == "" {
			t.Errorf("feed lacks id, title or author: %+v", feed)
		}
		if _, err := time.Parse(time.RFC3339, feed.Updated); err != nil {
			t.Errorf("feed updated %q: %v", feed.Updated, err)
		}
		if len(feed.Entries) != 5 {
			t.Fatalf("%d entries, want 5", len(feed.Entries))
		}
		for i, e := range feed.Entries {
			if e.ID != "urn:uuid:"+log[i].ID.String() || e.Category.Term != log[i].Type || e.Title == "" || e.Summary == "" {
				t.Errorf("entry %d = %+v, event %s %s", i, e, log[i].ID, log[i].Type)
			}
			if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
				t.Errorf("entry updated %q: %v", e.Updated, err)
			}
			if !strings.HasSuffix(e.Link.Href, "/v1/assets/"+strings.TrimPrefix(log[i].Stream, "asset-")) {
				t.Errorf("entry link %q", e.Link.Href)
			}
		}
		var next string
		for _, l := range feed.Links {
			if l.Rel == "next" {
				next = l.Href
			}
		}
		u, err := url.Parse(next)
		if err != nil || u.Query().Get("after") != fmt.Sprint(log[4].Position) {
			t.Errorf("next link %q, want one after position %d", next, log[4].Position)
		}
	}
}
