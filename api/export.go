package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/projections"
)

// Exports of a council's lists and of the national register: CSV with the
// column names of the MHCLG asset-of-community-value data standard, and
// GeoJSON with the same names as properties, so that a council can publish
// to planning.data.gov.uk and anyone can open the file in a spreadsheet or
// QGIS. JSON, the default, is the paged API response.

// format is a representation of a register.
type format int

const (
	formatJSON format = iota
	formatCSV
	formatGeoJSON
)

// Media types of the exports.
const (
	mediaCSV     = "text/csv"
	mediaGeoJSON = "application/geo+json"
	mediaJSON    = "application/json"
)

// exportFormat picks the representation: ?format= (json, csv or geojson)
// if given, else the most preferred of the Accept header's media types that
// the server has, else JSON.
func exportFormat(r *http.Request, q *query) format {
	switch q.oneOf("format", "json", "csv", "geojson") {
	case "json":
		return formatJSON
	case "csv":
		return formatCSV
	case "geojson":
		return formatGeoJSON
	}
	switch negotiate(r.Header.Get("Accept"), mediaJSON, mediaCSV, mediaGeoJSON) {
	case mediaCSV:
		return formatCSV
	case mediaGeoJSON:
		return formatGeoJSON
	}
	return formatJSON
}

// negotiate returns the offer the Accept header prefers (by q-value, then
// by the order of offers), or "" when it accepts none of them. Wildcards
// (*/*, text/*) match the first offer they cover; an empty header accepts
// the first offer.
func negotiate(accept string, offers ...string) string {
	if strings.TrimSpace(accept) == "" {
		return offers[0]
	}
	best, bestQ, bestExact := "", 0.0, false
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		qv := 1.0
		if s, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				qv = f
			}
		}
		if qv <= 0 {
			continue
		}
		for _, o := range offers {
			exact := mt == o
			if !exact && mt != "*/*" && !(strings.HasSuffix(mt, "/*") && strings.HasPrefix(o, strings.TrimSuffix(mt, "*"))) {
				continue
			}
			if qv > bestQ || (qv == bestQ && exact && !bestExact) {
				best, bestQ, bestExact = o, qv, exact
			}
			break
		}
	}
	return best
}

// fetchFunc reads one page of a register.
type fetchFunc func(ctx context.Context, p projections.PageRequest) (projections.Page[projections.RegisterEntry], error)

// export streams the whole register that fetch pages through, as CSV or
// GeoJSON, for download as name.csv or name.geojson. An export ignores
// ?limit= and ?cursor=: it is always the whole list. Errors before the
// first byte are answered as problems; a failure part-way (the read models
// gone mid-stream) is logged and aborts the response, so that the client
// sees a truncated download rather than a complete-looking file.
func (s *Server) export(w http.ResponseWriter, r *http.Request, f format, name string, fetch fetchFunc) error {
	ctx := r.Context()
	pg, err := fetch(ctx, projections.PageRequest{Limit: maxLimit})
	if err != nil {
		return err
	}
	ext, media := "csv", mediaCSV+"; charset=utf-8"
	if f == formatGeoJSON {
		ext, media = "geojson", mediaGeoJSON
	}
	h := w.Header()
	h.Set("Content-Type", media)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fileName(name) + "." + ext}))
	h.Set("Vary", "Accept")
	w.WriteHeader(http.StatusOK)

	var enc entryWriter
	if f == formatGeoJSON {
		enc = newGeoJSONWriter(w)
	} else {
		enc = newCSVWriter(w)
	}
	for {
		for _, e := range pg.Items {
			if err := enc.entry(e); err != nil {
				return s.abortExport(r, fmt.Errorf("export %s: %w", name, err))
			}
		}
		if pg.NextCursor == "" {
			break
		}
		if pg, err = fetch(ctx, projections.PageRequest{Limit: maxLimit, Cursor: pg.NextCursor}); err != nil {
			return s.abortExport(r, fmt.Errorf("export %s: %w", name, err))
		}
	}
	if err := enc.close(); err != nil {
		return s.abortExport(r, fmt.Errorf("export %s: %w", name, err))
	}
	return nil
}

// abortExport logs err and aborts the response: its status and part of its
// body are already sent, so no problem can follow.
func (s *Server) abortExport(r *http.Request, err error) error {
	if r.Context().Err() == nil { // a client that went away is not a fault
		s.Log.Error("export failed part-way", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	panic(http.ErrAbortHandler)
}

// fileName keeps the letters, digits, dots, hyphens and underscores of a
// download's name, replacing anything else (the colon of
// "local-authority:MDS") by a hyphen.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}

// entryWriter writes register entries in one export format.
type entryWriter interface {
	entry(projections.RegisterEntry) error
	close() error
}

// csvColumns are the CSV header: the data standard's fields, then the
// moratorium dates Stockport and others publish, then this registry's own
// (the asset id, postcode, UPRN, status and removal) - every column a
// RegisterEntry fills.
func csvColumns() []string {
	return []string{
		"reference", "name", "address-text", "description", "point", "organisation",
		"nomination-date", "nominating-group", "decision", "decision-date", "expiry-date",
		"notification-to-sell-date", "interested-group", "protected-period-start-date",
		"notes", "entry-date", "start-date", "end-date",
		"interim-moratorium-end-date", "full-moratorium-end-date", "protected-period-end-date",
		"asset-id", "postcode", "uprn", "status", "removal-date", "removal-reason",
	}
}

// standardFields maps an entry to the export's columns, in csvColumns'
// order. The protected period begins with the day the owner's notice was
// received (s.95(6)), so its start date is the notification date. Notes
// say why an entry left the list early.
func standardFields(e projections.RegisterEntry) []string {
	notes := ""
	if e.RemovalReason != "" {
		notes = "removed from the list on " + e.RemovalDate.String() + ": " + strings.ReplaceAll(e.RemovalReason, "_", " ")
	}
	return []string{
		e.Reference, e.Name, e.AddressText, e.Description, wktPoint(e.Point), e.Organisation,
		dateText(e.NominationDate), e.NominatingGroup, e.Decision, dateText(e.DecisionDate), dateText(e.ExpiryDate),
		dateText(e.NotificationToSellDate), e.InterestedGroup, dateText(e.NotificationToSellDate),
		notes, dateText(e.EntryDate), dateText(e.StartDate), dateText(e.EndDate),
		dateText(e.InterimMoratoriumEndDate), dateText(e.FullMoratoriumEndDate), dateText(e.ProtectedPeriodEndDate),
		e.AssetID, e.Postcode, e.UPRN, e.Status, dateText(e.RemovalDate), e.RemovalReason,
	}
}

func dateText(d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// wktPoint is p in well-known text, POINT(lon lat), or "" for no point.
func wktPoint(p *domain.Point) string {
	if p == nil {
		return ""
	}
	return "POINT(" + strconv.FormatFloat(p.Lon, 'f', -1, 64) + " " + strconv.FormatFloat(p.Lat, 'f', -1, 64) + ")"
}

// csvWriter writes a CSV export with encoding/csv, which quotes what needs
// quoting. Free-text cells that a spreadsheet would run as a formula (they
// start with =, +, -, @, tab or carriage return) are prefixed with a single
// quote, as OWASP advises against CSV injection; dates, points and codes
// never start so.
type csvWriter struct {
	w       *csv.Writer
	columns []string
	rows    int
}

func newCSVWriter(w http.ResponseWriter) *csvWriter {
	c := &csvWriter{w: csv.NewWriter(w), columns: csvColumns()}
	_ = c.w.Write(c.columns) // errors stick; close reports them
	return c
}

// freeText reports whether a CSV column holds text people type.
func freeText(column string) bool {
	switch column {
	case "name", "address-text", "description", "nominating-group", "interested-group", "notes":
		return true
	}
	return false
}

func (c *csvWriter) entry(e projections.RegisterEntry) error {
	rec := standardFields(e)
	for i, col := range c.columns {
		if s := rec[i]; freeText(col) && s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			rec[i] = "'" + s
		}
	}
	if err := c.w.Write(rec); err != nil {
		return fmt.Errorf("write csv row: %w", err)
	}
	if c.rows++; c.rows%100 == 0 {
		c.w.Flush()
	}
	return c.w.Error()
}

func (c *csvWriter) close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// geoJSONWriter writes a GeoJSON FeatureCollection (RFC 7946) one feature
// at a time. Each entry is a Point feature with the data standard's fields
// as properties (hyphenated, as in the CSV); an entry without a point has
// geometry null, which RFC 7946 allows.
type geoJSONWriter struct {
	w       http.ResponseWriter
	columns []string
	n       int
	err     error
}

func newGeoJSONWriter(w http.ResponseWriter) *geoJSONWriter {
	g := &geoJSONWriter{w: w, columns: csvColumns()}
	g.write([]byte(`{"type":"FeatureCollection","features":[`))
	return g
}

func (g *geoJSONWriter) write(b []byte) {
	if g.err == nil {
		_, g.err = g.w.Write(b)
	}
}

// geoFeature is one GeoJSON feature.
type geoFeature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Geometry   *geoPoint         `json:"geometry"`
	Properties map[string]string `json:"properties"`
}

// geoPoint is a GeoJSON Point: [longitude, latitude] in WGS84.
type geoPoint struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

// featureOf is entry e as a GeoJSON feature. Empty properties are left
// out; "point" is the geometry's WKT, kept for tools that read only
// properties.
func featureOf(e projections.RegisterEntry, columns []string) geoFeature {
	f := geoFeature{Type: "Feature", ID: e.Reference, Properties: map[string]string{}}
	if e.Point != nil {
		f.Geometry = &geoPoint{Type: "Point", Coordinates: [2]float64{e.Point.Lon, e.Point.Lat}}
	}
	for i, v := range standardFields(e) {
		if v != "" {
			f.Properties[columns[i]] = v
		}
	}
	return f
}

func (g *geoJSONWriter) entry(e projections.RegisterEntry) error {
	b, err := json.Marshal(featureOf(e, g.columns))
	if err != nil {
		return fmt.Errorf("encode feature %s: %w", e.Reference, err)
	}
	if g.n > 0 {
		g.write([]byte{','})
	}
	g.n++
	g.write(b)
	return g.err
}

func (g *geoJSONWriter) close() error {
	g.write([]byte("]}\n"))
	if g.err != nil {
		return fmt.Errorf("write geojson: %w", g.err)
	}
	return nil
}
