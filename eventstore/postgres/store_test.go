package postgres_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstoretest"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t testing.TB, dsn string, now func() time.Time) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{Now: now, Listen: true})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func backend() eventstoretest.Backend {
	dsns := map[eventstore.Store]string{}
	return eventstoretest.Backend{
		Open: func(t testing.TB, now func() time.Time) eventstore.Store {
			dsn := pgtest.DSN(t)
			s := open(t, dsn, now)
			dsns[s] = dsn
			return s
		},
		AppendHook: func(ctx context.Context, s eventstore.Store, stream string, expected eventstore.ExpectedVersion, es []eventstore.NewEvent, beforeCommit func() error) ([]int64, error) {
			return s.(*postgres.Store).AppendHook(ctx, stream, expected, es, beforeCommit)
		},
		Tamper: func(t testing.TB, s eventstore.Store, stream string, version int64, how string) {
			t.Helper()
			conn, err := pgx.Connect(context.Background(), dsns[s])
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			stmts := map[string]string{
				"data":           `UPDATE events SET data = data || '{"tampered": true}' WHERE stream_id = $1 AND version = $2`,
				"hash":           `UPDATE events SET hash = '\x00'::bytea WHERE stream_id = $1 AND version = $2`,
				"delete":         `DELETE FROM events WHERE stream_id = $1 AND version = $2`,
				"recorded_at":    `UPDATE events SET recorded_at = recorded_at + interval '1 second' WHERE stream_id = $1 AND version = $2`,
				"schema_version": `UPDATE events SET schema_version = schema_version + 1 WHERE stream_id = $1 AND version = $2`,
			}
			// Behind the application's back: a superuser session that skips triggers.
			if _, err := conn.Exec(context.Background(), `SET session_replication_role = replica`); err != nil {
				t.Fatal(err)
			}
			tag, err := conn.Exec(context.Background(), stmts[how], stream, version)
			if err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("tamper (%s): %v, %d rows", how, err, tag.RowsAffected())
			}
		},
	}
}

func TestConformance(t *testing.T) {
	eventstoretest.Run(t, backend())
}

func TestAppendOnlyTrigger(t *testing.T) {
	dsn := pgtest.DSN(t)
	s := open(t, dsn, time.Now)
	ctx := context.Background()
	if _, err := s.Append(ctx, "asset-x", eventstore.NoStream, []eventstore.NewEvent{eventstoretest.Event("t.v1")}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE events SET type = 'x'`, `DELETE FROM events`, `TRUNCATE events`} {
		if _, err := s.Pool().Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: error %v, want the append-only refusal", q, err)
		}
	}
}

// The store's connections run without JIT compilation, unless the URL asks
// for it.
func TestConnectionsRunWithoutJIT(t *testing.T) {
	dsn := pgtest.DSN(t)
	for _, c := range []struct{ dsn, want string }{{dsn, "off"}, {withParam(t, dsn, "jit", "on"), "on"}} {
		s := open(t, c.dsn, time.Now)
		var got string
		if err := s.Pool().QueryRow(context.Background(), `SHOW jit`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("jit = %s, want %s", got, c.want)
		}
	}
}

// withParam returns dsn (a URL or key=value pairs) with a run-time
// parameter added.
func withParam(t *testing.T, dsn, key, value string) string {
	t.Helper()
	if strings.Contains(dsn, "://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + key + "=" + value
	}
	return dsn + " " + key + "=" + value
}

func TestMigrateIsIdempotent(t *testing.T) {
	dsn := pgtest.DSN(t)
	for i := 0; i < 3; i++ {
		s := open(t, dsn, time.Now)
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate %d: %v", i, err)
		}
	}
}

func TestErrorsNeverRevealTheURL(t *testing.T) {
	const secret = "s3cr3t-pass"
	for _, dsn := range []string{
		"postgres://registry:" + secret + "@127.0.0.1:1/acv?connect_timeout=2",
		"postgres://registry:" + secret + "@127.0.0.1:notaport/acv",
	} {
		_, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err == nil {
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "registry") {
			t.Errorf("error %q reveals the connection string", msg)
		}
	}
}
