package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/acv-registry/acv/internal/demo"
)

// dataStandard are the columns of the MHCLG asset-of-community-value data
// standard that every CSV export starts with, in order.
var dataStandard = []string{
	"reference", "name", "address-text", "description", "point", "organisation",
	"nomination-date", "nominating-group", "decision", "decision-date", "expiry-date",
	"notification-to-sell-date", "interested-group", "protected-period-start-date",
	"notes", "entry-date", "start-date", "end-date",
}

// registerSize returns how many entries the JSON register at path holds,
// paging through it.
func registerSize(t *testing.T, rs *readStack, path string) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		p := path + "&limit=1000"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		rs.mustGet(http.StatusOK, p).json(t, &page)
		n += len(page.Items)
		if page.NextCursor == "" {
			return n
		}
		cursor = page.NextCursor
	}
}

// ogrCount opens file with ogrinfo and returns its feature count, or -1
// when ogrinfo is not installed on a developer's machine. CI installs
// gdal-bin and sets ACV_REQUIRE_DB=1, and then a missing ogrinfo fails.
func ogrCount(t *testing.T, file string, openOptions ...string) int {
	t.Helper()
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		if os.Getenv("ACV_REQUIRE_DB") == "1" || os.Getenv("CI") == "true" {
			t.Fatal("ogrinfo is not on PATH, and CI must open the exports with GDAL (apt-get install gdal-bin)")
		}
		t.Log("ogrinfo is not on PATH (apt-get install gdal-bin): not opening the export with GDAL")
		return -1
	}
	args := append([]string{"-ro", "-al", "-so"}, openOptions...)
	out, err := exec.Command("ogrinfo", append(args, file)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", file, err, out)
	}
	m := regexp.MustCompile(`(?m)^Feature Count: (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("ogrinfo %s printed no feature count:\n%s", file, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	if len(openOptions) > 0 && (!strings.Contains(string(out), "Geometry Column = point") || !strings.Contains(string(out), "Extent: (")) {
		t.Errorf("ogrinfo %s found no geometry in the point column:\n%s", file, out)
	}
	return n
}

func TestExports(t *testing.T) {
	rs := newReadStack(t, true)
	dir := t.TempDir()
	for _, tt := range []struct {
		name, path, json string
		header           []string // request headers
	}{
		{"national-csv", "/v1/register?format=csv", "/v1/register?format=json", nil},
		{"national-csv-accept", "/v1/register", "/v1/register?format=json", []string{"Accept: text/csv"}},
		{"council-csv", "/v1/councils/" + demo.Westminster + "/register?format=csv", "/v1/councils/" + demo.Westminster + "/register?format=json", nil},
		{"unsuccessful-csv", "/v1/councils/" + demo.Westminster + "/unsuccessful-nominations", "/v1/councils/" + demo.Westminster + "/unsuccessful-nominations?format=json", []string{"Accept: text/csv"}},
		{"national-geojson", "/v1/register?format=geojson", "/v1/register?format=json", nil},
		{"national-geojson-accept", "/v1/register?status=listed", "/v1/register?status=listed", []string{"Accept: application/geo+json"}},
		{"council-geojson", "/v1/councils/" + demo.Stockport + "/register?as_of=2025-01-01", "/v1/councils/" + demo.Stockport + "/register?as_of=2025-01-01&format=json", []string{"Accept: application/geo+json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := rs.mustGet(http.StatusOK, tt.path, tt.header...)
			want := registerSize(t, rs, tt.json)
			if want == 0 {
				t.Fatalf("%s is empty: nothing to export", tt.json)
			}
			cd := g.header.Get("Content-Disposition")
			if !strings.HasPrefix(cd, "attachment; filename=") {
				t.Errorf("Content-Disposition %q, want an attachment", cd)
			}
			if strings.HasSuffix(tt.name, "csv") || strings.HasSuffix(tt.name, "csv-accept") {
				checkCSV(t, g, dir, tt.name, want)
				return
			}
			checkGeoJSON(t, g, dir, tt.name, want)
		})
	}
}

func checkCSV(t *testing.T, g got, dir, name string, want int) {
	t.Helper()
	if ct := g.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	records, err := csv.NewReader(bytes.NewReader(g.body)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, g.body)
	}
	if len(records) == 0 || !slices.Equal(records[0][:len(dataStandard)], dataStandard) {
		t.Fatalf("header %v, want the data standard's columns first: %v", records[0], dataStandard)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	if len(records)-1 != want {
		t.Errorf("%d rows, want %d", len(records)-1, want)
	}
	for _, r := range records[1:] {
		if r[col["reference"]] == "" || r[col["name"]] == "" || r[col["organisation"]] == "" {
			t.Errorf("row without reference, name or organisation: %v", r)
		}
		if p := r[col["point"]]; p != "" && !regexp.MustCompile(`^POINT\(-?\d+(\.\d+)? -?\d+(\.\d+)?\)$`).MatchString(p) {
			t.Errorf("point %q is not WKT POINT(lon lat)", p)
		}
		for _, c := range []string{"nomination-date", "decision-date", "entry-date", "start-date", "end-date", "expiry-date"} {
			if d := r[col[c]]; d != "" && !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(d) {
				t.Errorf("%s %q is not YYYY-MM-DD", c, d)
			}
		}
	}
	file := filepath.Join(dir, name+".csv")
	if err := os.WriteFile(file, g.body, 0o600); err != nil {
		t.Fatal(err)
	}
	if n := ogrCount(t, file); n >= 0 && n != want {
		t.Errorf("ogrinfo counts %d features in the CSV, want %d", n, want)
	}
	// GDAL reads the point column as the geometry when told its name.
	if n := ogrCount(t, file, "-oo", "GEOM_POSSIBLE_NAMES=point", "-oo", "KEEP_GEOM_COLUMNS=NO"); n >= 0 && n != want {
		t.Errorf("ogrinfo counts %d point features in the CSV, want %d", n, want)
	}
}

func checkGeoJSON(t *testing.T, g got, dir, name string, want int) {
	t.Helper()
	if ct := g.header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("Content-Type %q", ct)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type     string `json:"type"`
			Geometry *struct {
				Type        string    `json:"type"`
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]string `json:"properties"`
		} `json:"features"`
	}
	g.json(t, &fc)
	if fc.Type != "FeatureCollection" || len(fc.Features) != want {
		t.Fatalf("%s with %d features, want a FeatureCollection of %d", fc.Type, len(fc.Features), want)
	}
	for _, f := range fc.Features {
		if f.Type != "Feature" || f.Properties["reference"] == "" || f.Properties["name"] == "" {
			t.Errorf("feature %+v", f)
		}
		if f.Geometry != nil && (f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) != 2 ||
			f.Properties["point"] == "" || f.Geometry.Coordinates[1] < 49 || f.Geometry.Coordinates[1] > 56) {
			t.Errorf("geometry %+v with point %q: want an English [lon, lat]", f.Geometry, f.Properties["point"])
		}
	}
	file := filepath.Join(dir, name+".geojson")
	if err := os.WriteFile(file, g.body, 0o600); err != nil {
		t.Fatal(err)
	}
	if n := ogrCount(t, file); n >= 0 && n != want {
		t.Errorf("ogrinfo counts %d features in the GeoJSON, want %d", n, want)
	}
}

// TestExportWithoutPoints: an entry without a point is a row with an empty
// point, and a feature with geometry null, which GDAL still counts.
func TestExportWithoutPoints(t *testing.T) {
	rs := newReadStack(t, true)
	privateOwnerAsset(t, rs) // The Old Forge has no point
	g := rs.mustGet(http.StatusOK, "/v1/register?format=geojson&q=old+forge")
	var fc struct {
		Features []map[string]json.RawMessage `json:"features"`
	}
	g.json(t, &fc)
	if len(fc.Features) != 1 || string(fc.Features[0]["geometry"]) != "null" {
		t.Fatalf("features %s, want one with geometry null", g.body)
	}
	file := filepath.Join(t.TempDir(), "forge.geojson")
	if err := os.WriteFile(file, g.body, 0o600); err != nil {
		t.Fatal(err)
	}
	if n := ogrCount(t, file); n >= 0 && n != 1 {
		t.Errorf("ogrinfo counts %d features, want 1", n)
	}
	c := rs.mustGet(http.StatusOK, "/v1/register?format=csv&q=old+forge")
	records, err := csv.NewReader(bytes.NewReader(c.body)).ReadAll()
	if err != nil || len(records) != 2 || records[1][4] != "" {
		t.Errorf("CSV %q (%v), want one row with an empty point", c.body, err)
	}
}
