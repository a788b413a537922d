// Package loadtest is a small, bounded HTTP load generator for the
// registry's own benchmarks: a fixed number of connections send GETs to one
// URL on this machine's loopback for a fixed time, and it reports
// throughput and latency percentiles. It refuses any address that is not
// loopback: benchmarks never send traffic anywhere else.
package loadtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what one run measured.
type Result struct {
	Requests   int
	Errors     int // transport errors and non-2xx answers
	Elapsed    time.Duration
	Throughput float64 // successful requests a second
	P50, P99   time.Duration
}

func (r Result) String() string {
	return fmt.Sprintf("%.0f req/s, p50 %s, p99 %s, %d requests, %d errors",
		r.Throughput, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Requests, r.Errors)
}

// maxRequests bounds a run whatever its duration.
const maxRequests = 5_000_000

// Run sends GET target from conns concurrent connections for d; the
// requests in flight when d has passed are let finish. It fails
// for a target that is not on the loopback interface.
func Run(ctx context.Context, target string, conns int, d time.Duration) (Result, error) {
	u, err := url.Parse(target)
	if err != nil {
		return Result{}, fmt.Errorf("load %s: %w", target, err)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return Result{}, fmt.Errorf("load %s: only loopback addresses may be loaded", target)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	defer client.CloseIdleConnections()
	// Each connection starts requests until d has passed and lets the one
	// in flight finish: a request is never cut off by the deadline, so a
	// slow target (a busy machine, an uncached query) still gives at least
	// one latency per connection instead of none, and the tail is not
	// trimmed off the percentiles.
	deadline := time.Now().Add(d)

	var (
		mu        sync.Mutex
		latencies []time.Duration
		errors    int
		wg        sync.WaitGroup
		sent      atomic.Int64
	)
	start := time.Now()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if sent.Add(1) > maxRequests {
					return
				}
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			errors += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := Result{Requests: len(latencies) + errors, Errors: errors, Elapsed: elapsed}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		r.P50 = latencies[len(latencies)/2]
		r.P99 = latencies[len(latencies)*99/100]
		r.Throughput = float64(len(latencies)) / elapsed.Seconds()
	}
	return r, nil
}
