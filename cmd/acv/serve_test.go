package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
)

// lockedBuffer collects a server's log lines from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestConsumersLogTheRequestsCorrelationID: the X-Request-ID of the HTTP
// request that caused an event is the event's correlation id, and each
// consumer's log line for the event carries it (issue 5).
func TestConsumersLogTheRequestsCorrelationID(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &lockedBuffer{}
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-token", "t0ken", "--log-level", "debug", "--log-format", "json"},
			env("ACV_DATA_DIR", t.TempDir()), w, logs)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no address: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, out)
	base := strings.TrimSpace(strings.TrimPrefix(line, "acv: serving on "))

	requestID := uuid.NewString()
	writeThenRead(t, http.DefaultClient, base, base, "t0ken", "The Swan", func(req *http.Request) {
		req.Header.Set("X-Request-ID", requestID)
	})

	for _, consumer := range []string{projections.ConsumerName, clock.ConsumerName} {
		deadline := time.Now().Add(10 * time.Second)
		for !hasConsumerLine(logs.String(), consumer, requestID) {
			if time.Now().After(deadline) {
				t.Fatalf("no log line of consumer %s carries the request's correlation id %s:\n%s", consumer, requestID, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

func hasConsumerLine(logs, consumer, correlation string) bool {
	for _, l := range strings.Split(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) != nil {
			continue
		}
		if rec["consumer"] == consumer && rec["correlation_id"] == correlation {
			return true
		}
	}
	return false
}
