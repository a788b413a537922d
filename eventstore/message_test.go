package eventstore_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

func TestMessageRoundTrip(t *testing.T) {
	effective, _ := domain.ParseDate("2027-03-28")
	for name, e := range map[string]eventstore.Event{
		"full": {ID: uuid.New(), Stream: "asset-1", Version: 7, Position: 1234, Type: "acv.nomination-received.v1",
			Data: []byte(`{"a":1}`), RecordedAt: time.Date(2027, 3, 28, 0, 30, 0, 123456000, time.UTC),
			Metadata: eventstore.Metadata{EffectiveDate: effective, Actor: eventstore.Actor{Org: "E07000228", Role: "council", TokenID: "tok"},
				CorrelationID: uuid.New(), CausationID: uuid.New(), Regime: "localism-2012", SchemaVersion: 1}},
		"no effective date": {ID: uuid.New(), Stream: "asset-2", Version: 1, Position: 1, Type: "acv.x.v1",
			Data: []byte(`{}`), RecordedAt: time.Unix(0, 0).UTC(), Metadata: eventstore.Metadata{SchemaVersion: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := eventstore.FromMessage(eventstore.ToMessage(e))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, e)
			}
		})
	}
}

func TestFromMessageRefusesAForeignMessage(t *testing.T) {
	e := eventstore.Event{ID: uuid.New(), Stream: "asset-1", Version: 1, Position: 1, Type: "t", Data: []byte(`{}`), RecordedAt: time.Now()}
	msg := eventstore.ToMessage(e)
	msg.Metadata.Set(eventstore.MetaPosition, "not a number")
	if _, err := eventstore.FromMessage(msg); err == nil {
		t.Fatal("FromMessage accepted a message whose position is not a number")
	}
}
