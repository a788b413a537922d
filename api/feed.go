package api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// The change feed: every event in the log's order, as JSON or as an Atom 1.0
// feed (RFC 4287) for feed readers. It reads the log itself, so it is
// complete as soon as an event is committed. It shows what happened, to
// which asset and when, never an event's data, so it holds no personal data.

// change is one event of the feed.
type change struct {
	ID            uuid.UUID   `json:"id"`
	Position      int64       `json:"position"`
	Stream        string      `json:"stream"`
	Type          string      `json:"type"`
	Version       int64       `json:"version"`
	EffectiveDate domain.Date `json:"effective_date"`
	RecordedAt    time.Time   `json:"recorded_at"`
	AssetID       string      `json:"asset_id,omitempty"`
	Summary       string      `json:"summary"`
}

// changePage is the JSON body of GET /v1/changes. Next is the position to
// ask for the following page with (?after=); it equals the request's after
// when there is nothing new yet.
type changePage struct {
	Items []change `json:"items"`
	Next  int64    `json:"next"`
}

// changes serves the feed of events after ?after= (0: from the start), at
// most ?limit= of them.
func (s *Server) changes(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	after := q.int64("after", 0, 0)
	limit := q.page().Limit
	atom := false
	switch q.oneOf("format", "json", "atom") {
	case "atom":
		atom = true
	case "":
		atom = negotiate(r.Header.Get("Accept"), mediaJSON, mediaAtom) == mediaAtom
	}
	if err := q.err(); err != nil {
		return err
	}
	events, err := s.Store.ReadAll(r.Context(), after, limit)
	if errors.Is(err, eventstore.ErrUnknownPosition) {
		return invalidParams(FieldError{Field: "after", Message: fmt.Sprintf("no event is stored at position %d", after)})
	}
	if err != nil {
		return fmt.Errorf("read the log after %d: %w", after, err)
	}
	if len(events) == 0 && after > 0 {
		// Nothing follows after: it must be the last position, not beyond.
		last, err := s.Store.LastPosition(r.Context())
		if err != nil {
			return fmt.Errorf("read the log's last position: %w", err)
		}
		if after > last {
			return invalidParams(FieldError{Field: "after", Message: fmt.Sprintf("the log ends at position %d", last)})
		}
	}
	page := changePage{Items: make([]change, len(events)), Next: after}
	for i, e := range events {
		page.Items[i] = changeOf(e)
		page.Next = e.Position
	}
	w.Header().Set("Vary", "Accept")
	if atom {
		return s.writeAtom(w, r, page, limit)
	}
	return writeJSON(w, http.StatusOK, page)
}

// changeOf summarises event e for the feed.
func changeOf(e eventstore.Event) change {
	c := change{ID: e.ID, Position: e.Position, Stream: e.Stream, Type: e.Type, Version: e.Version,
		EffectiveDate: e.Metadata.EffectiveDate, RecordedAt: e.RecordedAt}
	if id, ok := strings.CutPrefix(e.Stream, domain.AssetStream("")); ok {
		c.AssetID = id
	}
	c.Summary = describeType(e.Type)
	if !c.EffectiveDate.IsZero() {
		c.Summary += ", effective " + c.EffectiveDate.String()
	}
	if c.AssetID != "" {
		c.Summary += ", asset " + c.AssetID
	}
	return c
}

// describeType turns a stored type name into words:
// "acv.nomination-received.v1" becomes "Nomination received".
func describeType(t string) string {
	name := strings.TrimPrefix(t, "acv.")
	if i := strings.LastIndex(name, ".v"); i > 0 {
		if _, err := strconv.Atoi(name[i+2:]); err == nil {
			name = name[:i]
		}
	}
	name = strings.NewReplacer("-", " ", "_", " ", ".", " ").Replace(name)
	if name == "" {
		return t
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// mediaAtom is the media type of an Atom feed.
const mediaAtom = "application/atom+xml"

// The Atom 1.0 document (RFC 4287).
type (
	atomFeed struct {
		XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string      `xml:"id"`
		Title   string      `xml:"title"`
		Updated string      `xml:"updated"`
		Author  atomPerson  `xml:"author"`
		Links   []atomLink  `xml:"link"`
		Entries []atomEntry `xml:"entry"`
	}
	atomPerson struct {
		Name string `xml:"name"`
	}
	atomLink struct {
		Rel  string `xml:"rel,attr,omitempty"`
		Type string `xml:"type,attr,omitempty"`
		Href string `xml:"href,attr"`
	}
	atomCategory struct {
		Term string `xml:"term,attr"`
	}
	atomEntry struct {
		ID        string       `xml:"id"`
		Title     string       `xml:"title"`
		Updated   string       `xml:"updated"`
		Published string       `xml:"published"`
		Summary   string       `xml:"summary"`
		Category  atomCategory `xml:"category"`
		Links     []atomLink   `xml:"link"`
	}
)

// atomFeedID is the feed's permanent id (a tag URI, RFC 4151).
const atomFeedID = "tag:acv-registry,2026:changes"

// writeAtom answers page as an Atom feed. Entry ids are urn:uuid:<event
// id>, so a reader never shows an event twice; a "next" link (RFC 5005
// paging) continues after the last entry when the page was full.
func (s *Server) writeAtom(w http.ResponseWriter, r *http.Request, page changePage, limit int) error {
	base := baseURL(r)
	self := base + r.URL.Path
	selfQuery := self
	if r.URL.RawQuery != "" {
		selfQuery += "?" + r.URL.RawQuery
	}
	var updated time.Time // the latest entry's, or now for an empty page
	feed := atomFeed{
		ID:     atomFeedID,
		Title:  "Changes to the registry of England's community assets",
		Author: atomPerson{Name: "The registry of England's community assets"},
		Links:  []atomLink{{Rel: "self", Type: mediaAtom, Href: selfQuery}},
	}
	if len(page.Items) == limit {
		v := url.Values{"after": {strconv.FormatInt(page.Next, 10)}, "limit": {strconv.Itoa(limit)}, "format": {"atom"}}
		feed.Links = append(feed.Links, atomLink{Rel: "next", Type: mediaAtom, Href: self + "?" + v.Encode()})
	}
	for _, c := range page.Items {
		e := atomEntry{
			ID: "urn:uuid:" + c.ID.String(), Title: describeType(c.Type),
			Updated: c.RecordedAt.UTC().Format(time.RFC3339Nano), Published: c.RecordedAt.UTC().Format(time.RFC3339Nano),
			Summary: c.Summary, Category: atomCategory{Term: c.Type},
		}
		if c.AssetID != "" {
			e.Links = []atomLink{{Rel: "alternate", Type: mediaJSON, Href: base + "/v1/assets/" + url.PathEscape(c.AssetID)}}
		}
		feed.Entries = append(feed.Entries, e)
		if c.RecordedAt.After(updated) {
			updated = c.RecordedAt.UTC()
		}
	}
	if updated.IsZero() {
		updated = s.Now().UTC()
	}
	feed.Updated = updated.Format(time.RFC3339Nano)
	b, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return fmt.Errorf("encode atom feed: %w", err)
	}
	w.Header().Set("Content-Type", mediaAtom+"; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(xml.Header), append(b, '\n')...)) // the client has gone if this fails
	return nil
}

// baseURL is the scheme and host the client reached the server at.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
