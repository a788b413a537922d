package loadtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/acv-registry/acv/internal/loadtest"
)

func TestRunCountsAndRefusesOtherHosts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	r, err := loadtest.Run(context.Background(), srv.URL+"/ok", 4, 200*time.Millisecond)
	if err != nil || r.Requests == 0 || r.Errors != 0 || r.Throughput <= 0 || r.P99 < r.P50 {
		t.Fatalf("Run = %+v, %v", r, err)
	}
	r, err = loadtest.Run(context.Background(), srv.URL+"/bad", 2, 100*time.Millisecond)
	if err != nil || r.Errors == 0 || r.Throughput != 0 {
		t.Errorf("500s: %+v, %v; want every request counted as an error", r, err)
	}
	if _, err := loadtest.Run(context.Background(), "http://192.168.1.10/", 1, time.Millisecond); err == nil {
		t.Error("Run accepted a non-loopback address")
	}
}

// TestRunLetsTheLastRequestsFinish: a target slower than the run still
// gives a latency per connection; the deadline does not cut requests off.
func TestRunLetsTheLastRequestsFinish(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
	}))
	defer srv.Close()
	r, err := loadtest.Run(context.Background(), srv.URL+"/slow", 3, 10*time.Millisecond)
	if err != nil || r.Errors != 0 || r.Requests != 3 || r.P50 < 100*time.Millisecond {
		t.Fatalf("Run = %+v, %v; want 3 requests of at least 100ms, no errors", r, err)
	}
}
