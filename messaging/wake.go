package messaging

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/acv-registry/acv/eventstore"
)

// wakeTopic is the GoChannel topic that says "the log grew": an append in
// this process, or (PostgreSQL) a NOTIFY from another node's append.
const wakeTopic = "acv.log-changed"

// relayChanges publishes a wake-up on bus each time the store signals a
// change, until ctx ends. The store's signal fires at commit, so consumers
// wake within milliseconds of a write instead of at their next poll.
func relayChanges(ctx context.Context, store eventstore.Store, bus message.Publisher) {
	changed := store.Changed()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		// Re-arm before publishing: an append that commits from here on
		// closes the new channel, and one that committed before is seen by
		// the query this wake-up causes.
		changed = store.Changed()
		wake(bus)
	}
}

// wake publishes a wake-up on bus. Publish does not block on a slow
// consumer: each waker keeps one pending wake-up at most.
func wake(bus message.Publisher) {
	_ = bus.Publish(wakeTopic, message.NewMessage(watermill.NewUUID(), nil))
}

// newBus returns the in-process bus that carries wake-ups.
func newBus(log watermill.LoggerAdapter) *gochannel.GoChannel {
	return gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 16}, log)
}

// waker is a subscriber's watermill-sql BackoffManager. When a query found
// nothing, it waits for the next wake-up from the bus and then lets the
// subscriber query again at once. A wake-up that arrives while a batch is
// being handled stays pending, so none is lost. Wake-ups come from the
// log's commit signal and from every consumer's commit in this process: on
// PostgreSQL a consumer's open transaction holds back the horizon the
// others read below, so its commit can reveal events they were woken for
// and could not see yet. The poll interval covers what no signal reports
// (another node's consumer moving the horizon, a node without LISTEN).
type waker struct {
	pending  chan struct{} // capacity 1
	poll     time.Duration
	retry    time.Duration
	done     <-chan struct{}
	advanced func() // called after a batch was handled and committed
}

func newWaker(poll, retry time.Duration, done <-chan struct{}, advanced func()) *waker {
	return &waker{pending: make(chan struct{}, 1), poll: poll, retry: retry, done: done, advanced: advanced}
}

// listen turns the bus's wake-up messages into a pending wake-up.
func (w *waker) listen(msgs <-chan *message.Message) {
	for msg := range msgs {
		msg.Ack()
		select {
		case w.pending <- struct{}{}:
		default:
		}
	}
}

// HandleError implements wsql.BackoffManager.
func (w *waker) HandleError(log watermill.LoggerAdapter, noMsg bool, err error) time.Duration {
	if err != nil {
		log.Error("consumer: reading the log failed; retrying", err, watermill.LogFields{"retry_in": w.retry})
		return w.retry
	}
	if !noMsg {
		w.advanced()
		return 0
	}
	timer := time.NewTimer(w.poll)
	defer timer.Stop()
	select {
	case <-w.pending:
	case <-timer.C:
	case <-w.done:
	}
	return 0
}
