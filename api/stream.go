package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/projections"
)

// The live stream: GET /v1/stream serves every change as Server-Sent
// Events, public, in the log's order:
//
//	id: <log position>
//	event: <stored event type>
//	data: <the event's public form, projections.PublicEvent, as webhooks send it>
//
// ?council= and ?asset_id= keep the events of one council's assets or of
// one asset. A client resumes after the last id it saw with Last-Event-ID
// (browsers send it when they reconnect) or ?after=; with neither, the
// stream starts at the end of the log. A comment line every 15 seconds keeps
// proxies from closing an idle stream. The stream ends when the client goes
// or the server shuts down ([Server.CloseStreams]); the client reconnects,
// to any node, with Last-Event-ID.
//
// The server's WriteTimeout would cut a stream; each write moves the
// connection's write deadline forward instead. (ReadTimeout does not: the
// server lifts the read deadline once a request has been read.)

// Stream settings.
const (
	streamHeartbeat   = 15 * time.Second
	streamWriteWindow = 30 * time.Second        // how long one write may take
	streamPoll        = 5 * time.Second         // the store's signal wakes a stream sooner
	maxStreams        = 1000                    // open at once, per server
	streamRetry       = "retry: 2000\n\n"       // reconnect after 2s
	streamHello       = ": acv live stream\n\n" // first bytes: the headers are out
)

// streamHub keeps count of the open streams and ends them all on shutdown.
// The zero value is ready to use; it is safe for concurrent use.
type streamHub struct {
	mu        sync.Mutex
	done      chan struct{} // closed by close
	closed    bool
	open      int
	heartbeat time.Duration // 0: streamHeartbeat (tests shorten it)
}

// enter registers a new stream and returns the channel closed on shutdown,
// or false when the server is shutting down or has too many streams.
func (h *streamHub) enter() (<-chan struct{}, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done == nil {
		h.done = make(chan struct{})
	}
	if h.closed || h.open >= maxStreams {
		return nil, false
	}
	h.open++
	return h.done, true
}

func (h *streamHub) leave() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.open--
}

func (h *streamHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done == nil {
		h.done = make(chan struct{})
	}
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

func (h *streamHub) interval() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.heartbeat > 0 {
		return h.heartbeat
	}
	return streamHeartbeat
}

// CloseStreams ends every live stream cleanly and refuses new ones (503).
// http.Server.Shutdown does not interrupt requests in flight, so register
// it with http.Server.RegisterOnShutdown. It is safe to call more than once.
func (s *Server) CloseStreams() { s.streams.close() }

var errStreamsBusy = &Problem{Status: http.StatusServiceUnavailable, Title: "Unavailable",
	Detail: "this server is not taking more live streams now; retry later, or on another node",
	header: http.Header{"Retry-After": {"5"}}}

// stream serves the live stream of changes.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	council := q.text("council", 64)
	if council != "" && !validCouncil(council) {
		q.fail("council", "%q is not a council code such as E07000228 or local-authority:MDS", council)
	}
	assetID := q.text("asset_id", 64)
	after := q.int64("after", -1, 0)
	if last := strings.TrimSpace(r.Header.Get("Last-Event-ID")); last != "" {
		p, err := strconv.ParseInt(last, 10, 64)
		if err != nil || p < 0 {
			q.fail("Last-Event-ID", "must be the id of an event of this stream (a log position), not %q", last)
		} else {
			after = p
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	ctx := r.Context()
	switch {
	case after < 0: // live from now
		last, err := s.Store.LastPosition(ctx)
		if err != nil {
			return fmt.Errorf("stream: read the log's last position: %w", err)
		}
		after = last
	case after > 0:
		if err := s.checkPosition(ctx, after); err != nil {
			return err
		}
	}
	done, ok := s.streams.enter()
	if !ok {
		return errStreamsBusy
	}
	defer s.streams.leave()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()

	rc := http.NewResponseController(w)
	write := func(b string) error {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteWindow))
		if _, err := w.Write([]byte(b)); err != nil {
			return err
		}
		return rc.Flush()
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer
	w.WriteHeader(http.StatusOK)
	if err := write(streamRetry + streamHello); err != nil {
		return nil // the client has gone
	}

	sub := eventstore.Subscribe(s.Store, after).WithBatch(100).WithPollInterval(streamPoll)
	pub := projections.NewPublisher(s.Store)
	heartbeat := s.streams.interval()
	lastWrite := time.Now()
	for {
		wait, cancelWait := context.WithDeadline(ctx, lastWrite.Add(heartbeat))
		e, err := sub.Next(wait)
		cancelWait()
		switch {
		case ctx.Err() != nil:
			return nil // the client went, or the server is shutting down
		case errors.Is(err, context.DeadlineExceeded):
			if write(": heartbeat\n\n") != nil {
				return nil
			}
			lastWrite = time.Now()
			continue
		case err != nil:
			s.Log.Error("stream: reading the log failed; ending the stream", "after", sub.Position(), "err", err,
				"request_id", RequestIDFrom(ctx))
			return nil // the headers are out: the client reconnects with Last-Event-ID
		}
		if assetID != "" && projections.AssetIDOf(e.Stream) != assetID {
			continue
		}
		pe, err := pub.Public(ctx, e)
		if err != nil {
			if ctx.Err() == nil {
				s.Log.Error("stream: an event cannot be shown; ending the stream", "position", e.Position, "err", err,
					"request_id", RequestIDFrom(ctx))
			}
			return nil
		}
		if council != "" && pe.Council != council {
			continue
		}
		data, err := json.Marshal(pe)
		if err != nil {
			s.Log.Error("stream: encode an event", "position", e.Position, "err", err)
			return nil
		}
		if write(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", e.Position, e.Type, data)) != nil {
			return nil
		}
		lastWrite = time.Now()
	}
}

// checkPosition answers 400 unless after is the position of a stored event.
func (s *Server) checkPosition(ctx context.Context, after int64) error {
	unknown := invalidParams(FieldError{Field: "after", Message: fmt.Sprintf("no event is stored at position %d", after)})
	events, err := s.Store.ReadAll(ctx, after, 1)
	if errors.Is(err, eventstore.ErrUnknownPosition) {
		return unknown
	}
	if err != nil {
		return fmt.Errorf("stream: read the log after %d: %w", after, err)
	}
	if len(events) == 0 { // nothing follows: after must be the last position, not beyond
		last, err := s.Store.LastPosition(ctx)
		if err != nil {
			return fmt.Errorf("stream: read the log's last position: %w", err)
		}
		if after > last {
			return unknown
		}
	}
	return nil
}
