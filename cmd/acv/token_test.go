package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTokenCommands: `acv token create` prints a token once, refuses an
// unknown role or organisation, `acv token list` shows metadata without
// the secret, and `acv token revoke` revokes it.
func TestTokenCommands(t *testing.T) {
	ctx := context.Background()
	getenv := env("ACV_DATA_DIR", t.TempDir())
	var out, errs bytes.Buffer
	if err := run(ctx, []string{"token", "create", "--role", "administrator", "--name", "ops", "--expires", "7d"}, getenv, &out, &errs); err != nil {
		t.Fatalf("token create: %v\n%s", err, errs.String())
	}
	bearer := strings.TrimSpace(out.String())
	if !strings.HasPrefix(bearer, "acv_tok-") || len(bearer) < 60 {
		t.Fatalf("token create printed %q", bearer)
	}
	id, secret, _ := strings.Cut(strings.TrimPrefix(bearer, "acv_"), "_")
	for _, args := range [][]string{
		{"token", "create", "--role", "mayor", "--org", "E07000228"},
		{"token", "create", "--role", "council_officer", "--org", "E07000228"}, // no such organisation registered
		{"token", "create", "--role", "administrator", "--expires", "soon"},
	} {
		if err := run(ctx, args, getenv, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
	out.Reset()
	if err := run(ctx, []string{"token", "list"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), id) || strings.Contains(out.String(), secret) {
		t.Errorf("token list:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"token", "revoke", id}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"token", "list", "--json"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"revoked_at"`) {
		t.Errorf("the revoked token lists as %s", out.String())
	}
	if err := run(ctx, []string{"token", "revoke", "tok-unknown"}, getenv, io.Discard, io.Discard); err == nil {
		t.Error("revoking an unknown token succeeded")
	}
}

// TestServeMakesTheFirstAdministratorToken: with no administrator token
// configured or stored, `acv serve` makes one, prints it once on stderr,
// and it works; a second start prints none.
func TestServeMakesTheFirstAdministratorToken(t *testing.T) {
	getenv := env("ACV_DATA_DIR", t.TempDir())
	start := func() (base string, stderr *lockedBuffer, stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		stderr = &lockedBuffer{}
		out, w := io.Pipe()
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, getenv, w, stderr)
			w.Close()
		}()
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			t.Fatalf("serve printed no address: %v (run: %v)\n%s", err, <-done, stderr.String())
		}
		go io.Copy(io.Discard, out)
		return strings.TrimSpace(strings.TrimPrefix(line, "acv: serving on ")), stderr, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	}
	base, stderr, stop := start()
	var bearer string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "acv_tok-") {
			bearer = l
		}
	}
	if bearer == "" {
		t.Fatalf("serve printed no administrator token:\n%s", stderr.String())
	}
	if n := strings.Count(stderr.String(), bearer); n != 1 {
		t.Errorf("the token appears %d times on stderr, want once (the log must not repeat it)", n)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/tokens with the first token = %d", resp.StatusCode)
	}
	stop()
	_, stderr, stop = start()
	stop()
	if strings.Contains(stderr.String(), "acv_tok-") {
		t.Errorf("a second start printed another token:\n%s", stderr.String())
	}
}
