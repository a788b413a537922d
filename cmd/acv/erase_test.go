package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/internal/personaltest"
	"github.com/acv-registry/acv/internal/pgtest"
)

// TestEraseSubjects: personal data written through the API is erased by
// `acv erase` on both backends. Afterwards it is in no table (every column
// of every table, the log's raw bytes included) and in no answer, the
// officer's (here the administrator's) unredacted events included; the
// hash chains verify; the asset still loads and takes commands; and a
// rebuild gives the same read models.
func TestEraseSubjects(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testEraseSubjects(t, backend) })
	}
}

const eraseToken = "erase-test-admin-token"

// eraseStack is `acv serve` running in the test, with a webhook receiver.
type eraseStack struct {
	t       *testing.T
	getenv  func(string) string
	base    string
	db      *sql.DB // on SQLite, the state file with the log's and the read models' attached (sql)
	gen     string  // on SQLite, the read models' file db has attached
	sqlite  string  // the SQLite log's file, "" on PostgreSQL
	hooksMu sync.Mutex
	hooks   []string
}

func testEraseSubjects(t *testing.T, backend string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &eraseStack{t: t}
	kv := []string{"ACV_ADMIN_TOKEN", eraseToken, "ACV_WEBHOOKS_ALLOW_HTTP", "true", "ACV_LOG_LEVEL", "error"}
	switch backend {
	case "sqlite":
		dir := t.TempDir()
		s.sqlite = filepath.Join(dir, "acv.db")
		kv = append(kv, "ACV_DATA_DIR", dir)
		// The service makes the state file: s.db is opened on first use,
		// after it has started (sql).
	case "postgres":
		dsn := pgtest.DSN(t)
		kv = append(kv, "ACV_DATABASE_URL", dsn)
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		s.db = db
	}
	t.Cleanup(func() {
		if s.db != nil {
			s.db.Close()
		}
	})
	s.getenv = env(kv...)

	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, s.getenv, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no address: %v", err)
	}
	go io.Copy(io.Discard, out)
	s.base = strings.TrimSpace(strings.TrimPrefix(line, "acv: serving on "))
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.hooksMu.Lock()
		s.hooks = append(s.hooks, string(b))
		s.hooksMu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	s.send(http.MethodPost, "/v1/webhooks", map[string]any{"council": personaltest.Council, "url": receiver.URL + "/hooks"}, http.StatusCreated)

	today := domain.DateOf(time.Now())
	var last int64
	n := 0
	seeded := personaltest.Seed(t, today, func(path string, body map[string]any) map[string]any {
		n++
		got := s.send(http.MethodPost, path, body, http.StatusCreated, "Idempotency-Key", fmt.Sprintf("seed-%d", n))
		last = int64(got["position"].(float64))
		return got
	})
	id := seeded.AssetID
	s.send(http.MethodGet, fmt.Sprintf("/v1/assets/%s?min_position=%d", id, last), nil, http.StatusOK)
	s.waitForHooks(seeded.Events)

	// Before erasure: the data is sealed in every table, and shown to the
	// administrator. Only the key table names subjects (the people's party
	// ids), until they are erased.
	if leaks := slices.DeleteFunc(s.leaks(), func(l string) bool {
		id, ok := strings.CutPrefix(l, "personal_keys: ")
		return ok && slices.Contains(personaltest.PartyIDs, id)
	}); len(leaks) > 0 {
		t.Errorf("before erasure, tables hold personal data in the clear: %v", leaks)
	}
	unredacted := s.raw("/v1/assets/" + id + "/events?limit=1000")
	for _, secret := range personaltest.Secrets {
		if !strings.Contains(unredacted, secret) {
			t.Errorf("before erasure, the administrator does not see %q", secret)
		}
	}
	keys := s.keyBytes()

	// A rebuild reads personal data as if erased (it reads no key) and
	// gives the rows the projector derived from the data opened: the
	// rows hold none and do not depend on it.
	s.rebuildKeeps("before erasure")

	// The operator lists the asset's subjects and erases every one.
	var listed bytes.Buffer
	if err := run(ctx, []string{"erase", "--list", "--asset", id}, s.getenv, &listed, io.Discard); err != nil {
		t.Fatalf("erase --list: %v", err)
	}
	var subjects []string
	for l := range strings.Lines(listed.String()) {
		subject, _, _ := strings.Cut(l, "\t")
		if !slices.Contains(subjects, subject) {
			subjects = append(subjects, subject)
		}
	}
	for _, want := range []string{"party:" + personaltest.OwnerID, "nomination:" + seeded.NominationID} {
		if !slices.Contains(subjects, want) {
			t.Errorf("erase --list lacks %s:\n%s", want, listed.String())
		}
	}
	args := []string{"erase"}
	for _, sub := range subjects {
		args = append(args, "--subject", sub)
	}
	var erased bytes.Buffer
	if err := run(ctx, args, s.getenv, &erased, io.Discard); err != nil {
		t.Fatalf("erase: %v", err)
	}
	t.Logf("acv erase --list:\n%sacv erase:\n%s", listed.String(), erased.String())
	if !strings.Contains(erased.String(), "read models of 1 asset(s) derived again") {
		t.Errorf("erase printed %q", erased.String())
	}

	// Gone from every table and every answer.
	if leaks := s.leaks(); len(leaks) > 0 {
		t.Errorf("after erasure, tables hold personal data: %v", leaks)
	}
	answers := map[string]string{"events as the administrator": s.raw("/v1/assets/" + id + "/events?limit=1000")}
	for _, p := range []string{"/v1/assets/" + id, "/v1/assets/" + id + "/timeline", "/v1/assets/" + id + "/events",
		"/v1/register", "/v1/register?format=csv", "/v1/changes", "/v1/councils/" + personaltest.Council + "/register"} {
		answers[p] = s.raw(p)
	}
	for p, body := range answers {
		for _, secret := range personaltest.Secrets {
			if strings.Contains(body, secret) {
				t.Errorf("after erasure GET %s shows %q", p, secret)
			}
		}
	}
	if !strings.Contains(answers["events as the administrator"], `"[erased]"`) {
		t.Errorf("the administrator's events show no placeholder: %s", answers["events as the administrator"])
	}
	if s.sqlite != "" { // secure_delete: the key bytes are nowhere in the files
		for _, name := range []string{s.sqlite, s.sqlite + "-wal"} {
			b, err := os.ReadFile(name)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			for _, k := range keys {
				if bytes.Contains(b, k) {
					t.Errorf("%s still holds the bytes of an erased key", filepath.Base(name))
				}
			}
		}
	}
	var rest bytes.Buffer
	if err := run(ctx, []string{"erase", "--list", "--asset", id}, s.getenv, &rest, io.Discard); err != nil ||
		!strings.Contains(rest.String(), "holds no personal data") {
		t.Errorf("erase --list after erasure = %v: %s", err, rest.String())
	}

	// The chain verifies; the asset loads and takes a command.
	var verified bytes.Buffer
	if err := run(ctx, []string{"verify"}, s.getenv, &verified, io.Discard); err != nil {
		t.Errorf("verify after erasure: %v\n%s", err, verified.String())
	}
	if v := s.send(http.MethodGet, "/v1/assets/"+id+"/verify", nil, http.StatusOK); v["ok"] != true {
		t.Errorf("/v1/assets/%s/verify after erasure: %v", id, v)
	}
	got := s.send(http.MethodPost, "/v1/assets/"+id+"/reviews/"+seeded.ReviewID+"/decision", map[string]any{
		"outcome": "upheld", "reasons": "The listing stands.", "decided_on": today.String()}, http.StatusCreated)
	last = int64(got["position"].(float64))
	s.send(http.MethodGet, fmt.Sprintf("/v1/assets/%s?min_position=%d", id, last), nil, http.StatusOK)

	// A rebuild gives the read models the projector and the erasure left.
	s.rebuildKeeps("after erasure")
}

// rebuildKeeps runs `acv rebuild` and fails the test unless every
// read-model table holds the rows it held before.
func (s *eraseStack) rebuildKeeps(when string) {
	s.t.Helper()
	before := s.readModels()
	if err := run(context.Background(), []string{"rebuild"}, s.getenv, io.Discard, io.Discard); err != nil {
		s.t.Fatalf("rebuild %s: %v", when, err)
	}
	after := s.readModels()
	if len(before) == 0 {
		s.t.Fatal("no read-model rows")
	}
	for table, rows := range before {
		if !slices.Equal(rows, after[table]) {
			s.t.Errorf("%s after a rebuild %s:\n%v\nwant:\n%v", table, when, after[table], rows)
		}
	}
}

// send sends a request to the server as the administrator and fails the
// test unless it answers want; it returns the JSON body.
func (s *eraseStack) send(method, path string, body any, want int, headers ...string) map[string]any {
	s.t.Helper()
	var payload io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, payload)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+eraseToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

// raw GETs path as the administrator and returns the body.
func (s *eraseStack) raw(path string) string {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+eraseToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Errorf("GET %s = %d: %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// waitForHooks waits until the receiver has had n deliveries.
func (s *eraseStack) waitForHooks(n int) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.hooksMu.Lock()
		got := len(s.hooks)
		s.hooksMu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d webhook deliveries, want %d", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sql returns the handle on the database: on SQLite the state file, with
// the log's file attached as "log" and the read models' current file as
// "rm" (a name main and log share is main's; a read models' table is
// named rm.name), opened on first use and again once a rebuild has
// published a new generation.
func (s *eraseStack) sql() *sql.DB {
	s.t.Helper()
	if s.sqlite == "" {
		return s.db
	}
	c := Config{DataDir: filepath.Dir(s.sqlite)}
	gen, err := os.Readlink(c.ReadModelsPath())
	if err != nil {
		s.t.Fatal(err)
	}
	if s.db != nil && gen == s.gen {
		return s.db
	}
	if s.db != nil {
		s.db.Close()
	}
	db, err := sql.Open("sqlite", "file:"+c.StatePath()+"?_pragma=busy_timeout(10000)&mode=ro")
	if err != nil {
		s.t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // the attachments are the connection's
	for schema, path := range map[string]string{"log": s.sqlite, "rm": filepath.Join(c.DataDir, gen)} {
		if _, err := db.Exec(`ATTACH DATABASE ? AS `+schema, "file:"+path+"?mode=ro"); err != nil {
			s.t.Fatal(err)
		}
	}
	s.db, s.gen = db, gen
	return db
}

// tables lists the database's tables (on SQLite, both files').
func (s *eraseStack) tables() []string {
	s.t.Helper()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	if s.sqlite != "" {
		q = `SELECT name FROM main.sqlite_master WHERE type = 'table' UNION ALL SELECT name FROM log.sqlite_master WHERE type = 'table'
			UNION ALL SELECT 'rm.' || name FROM rm.sqlite_master WHERE type = 'table'`
	}
	rows, err := s.sql().Query(q)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			s.t.Fatal(err)
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// dump returns every row of table, each column as text.
func (s *eraseStack) dump(table string) []string {
	s.t.Helper()
	from := `"` + table + `"`
	if schema, name, ok := strings.Cut(table, "."); ok {
		from = schema + `."` + name + `"`
	}
	rows, err := s.sql().Query(`SELECT * FROM ` + from)
	if err != nil {
		s.t.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			s.t.Fatalf("dump %s: %v", table, err)
		}
		var b strings.Builder
		for i, v := range vals {
			if v == nil {
				continue
			}
			if raw, ok := v.([]byte); ok {
				v = string(raw)
			}
			fmt.Fprintf(&b, "%s=%v\t", cols[i], v)
		}
		out = append(out, b.String())
	}
	sort.Strings(out)
	return out
}

// leaks returns "table: secret" for every secret found in a table.
func (s *eraseStack) leaks() []string {
	s.t.Helper()
	var out []string
	for _, table := range s.tables() {
		all := strings.Join(s.dump(table), "\n")
		for _, secret := range personaltest.Secrets {
			if strings.Contains(all, secret) {
				out = append(out, table+": "+secret)
			}
		}
	}
	return out
}

// keyBytes returns the bytes of every data key.
func (s *eraseStack) keyBytes() [][]byte {
	s.t.Helper()
	rows, err := s.sql().Query(`SELECT key FROM personal_keys`)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			s.t.Fatal(err)
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		s.t.Fatal("no data keys were stored")
	}
	return out
}

// readModels dumps every read-model table but the search indexes.
func (s *eraseStack) readModels() map[string][]string {
	s.t.Helper()
	out := map[string][]string{}
	for _, table := range s.tables() {
		// SQLite's full-text search table (rm_search) and its shadow
		// tables hold an index whose segments depend on how it was
		// filled (row by row, or at once by a rebuild) and whose keys
		// are the register's rowids, not what it finds; that a
		// rebuild's search finds what following found is tested in
		// projections (TestRegisterPagesOfANationalLog).
		if name := strings.TrimPrefix(table, "rm."); strings.HasPrefix(name, "rm_") && !strings.HasPrefix(name, "rm_search") {
			out[table] = s.dump(table)
		}
	}
	return out
}
