package projections

import (
	"encoding/base64"
	"encoding/json"

	"github.com/acv-registry/acv/domain"
)

// Page sizes: [PageRequest.Limit] defaults to defaultLimit and is capped at
// maxLimit.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// pageLimit returns the number of items a page request asks for.
func pageLimit(p PageRequest) int {
	switch {
	case p.Limit <= 0:
		return defaultLimit
	case p.Limit > maxLimit:
		return maxLimit
	}
	return p.Limit
}

// cursor is the sort key of the last item of a page; the next page starts
// after it (keyset pagination, so pages neither skip nor repeat rows while
// the tables change between requests). Kind names the listing, so that a
// cursor from one listing is refused by another. It travels as unpadded
// URL-safe base64 of its JSON, opaque to clients.
type cursor struct {
	Kind string   `json:"k"`
	Text []string `json:"s"`
	Nums []int64  `json:"n"`
}

// String encodes the cursor.
func (c cursor) String() string {
	b, _ := json.Marshal(c) // strings and integers always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseCursor decodes s, which must be a cursor of the given kind with
// ntext strings and nnum numbers. It returns ok false for "", the first
// page, and a *domain.ValidationError for anything it cannot use.
func parseCursor(s, kind string, ntext, nnum int) (c cursor, ok bool, err error) {
	if s == "" {
		return cursor{}, false, nil
	}
	bad := &domain.ValidationError{Field: "cursor", Message: "not a cursor this listing gave out"}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false, bad
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return cursor{}, false, bad
	}
	if c.Kind != kind || len(c.Text) != ntext || len(c.Nums) != nnum {
		return cursor{}, false, bad
	}
	return c, true, nil
}

// pageOf makes a page of items, of which the query fetched one more than
// limit to tell whether a further page exists; keys[i] is the sort key of
// items[i], and the last item kept gives NextCursor.
func pageOf[T any](items []T, keys []cursor, limit int) Page[T] {
	p := Page[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(items) > limit {
		p.Items = items[:limit]
		p.NextCursor = keys[limit-1].String()
	}
	return p
}
