package messaging_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// dataRecorder keeps the data of every event it handles.
type dataRecorder struct {
	name string
	mu   sync.Mutex
	data []string
}

func (r *dataRecorder) Name() string { return r.name }

func (r *dataRecorder) Handle(_ context.Context, _ messaging.Tx, e eventstore.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.data = append(r.data, string(e.Data))
	return nil
}

func (r *dataRecorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.data, "\n")
}

// TestConsumersSeePersonalDataOpened: the watermill-sql subscribers, which
// read the events table themselves, hand consumers the plaintext of sealed
// personal data, and placeholders once its subject is erased.
func TestConsumersSeePersonalDataOpened(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		setup(t, b)
		before := &dataRecorder{name: "before"}
		r, err := messaging.NewRouterFor(b.store, b.db, b.dialect, nil, before)
		if err != nil {
			t.Fatal(err)
		}
		run(t, r)
		positions := appendEvents(t, b.store, 3, `{"owner":{"id":"p-quill","name":"Quentin Quill","address":"9 Rook Lane"}}`)
		positions = append(positions, appendEvents(t, b.store, 1, `{"plain":true}`)...)
		waitFor(t, b, r, "before", positions[len(positions)-1])
		got := before.all()
		if strings.Count(got, "Quentin Quill") != 3 || strings.Contains(got, eventstore.SealedKey) {
			t.Errorf("consumer saw:\n%s", got)
		}

		eraser := b.store.(eventstore.Eraser)
		if _, err := eraser.Erase(context.Background(), []string{"party:p-quill"}); err != nil {
			t.Fatal(err)
		}
		after := &dataRecorder{name: "after"}
		r2, err := messaging.NewRouterFor(b.store, b.db, b.dialect, nil, after)
		if err != nil {
			t.Fatal(err)
		}
		run(t, r2)
		waitFor(t, b, r2, "after", positions[len(positions)-1])
		got = after.all()
		if strings.Contains(got, "Quentin Quill") || strings.Count(got, `"[erased]"`) != 9 || !strings.Contains(got, `"plain"`) {
			t.Errorf("after erasure a consumer saw:\n%s", got)
		}
	})
}
