package domain

import (
	"encoding/json"
	"fmt"
	"sort"
)

// The event codec: the stored contract between the domain and the event
// store. Every event type is listed here once, under its stored name.

// decoders maps each stored type name to its decoder. It is never modified.
var decoders = map[string]func(JSONDecoder, []byte) (Event, error){
	TypeNominationReceived:               decode[NominationReceived],
	TypeNominationDecided:                decode[NominationDecided],
	TypeNominationDecisionOverdue:        decode[NominationDecisionOverdue],
	TypeNoticeGiven:                      decode[NoticeGiven],
	TypeReviewRequested:                  decode[ReviewRequested],
	TypeReviewRequestWindowExtended:      decode[ReviewRequestWindowExtended],
	TypeReviewDecisionPeriodAgreed:       decode[ReviewDecisionPeriodAgreed],
	TypeReviewDecided:                    decode[ReviewDecided],
	TypeReviewDecisionOverdue:            decode[ReviewDecisionOverdue],
	TypeAppealLodged:                     decode[AppealLodged],
	TypeAppealDecided:                    decode[AppealDecided],
	TypeRemovedFromList:                  decode[RemovedFromList],
	TypeListingExpired:                   decode[ListingExpired],
	TypeUnsuccessfulEntryExpired:         decode[UnsuccessfulEntryExpired],
	TypeDisposalNoticeReceived:           decode[DisposalNoticeReceived],
	TypeBidderRequestReceived:            decode[BidderRequestReceived],
	TypeInterimMoratoriumEnded:           decode[InterimMoratoriumEnded],
	TypeFullMoratoriumEnded:              decode[FullMoratoriumEnded],
	TypeProtectedPeriodEnded:             decode[ProtectedPeriodEnded],
	TypeBidSubmitted:                     decode[BidSubmitted],
	TypeBidStatusChanged:                 decode[BidStatusChanged],
	TypeMoratoriumOutcomeRecorded:        decode[MoratoriumOutcomeRecorded],
	TypeDisposalRecorded:                 decode[DisposalRecorded],
	TypeOwnerChanged:                     decode[OwnerChanged],
	TypeCompensationClaimed:              decode[CompensationClaimed],
	TypeCompensationDecided:              decode[CompensationDecided],
	TypeCompensationReviewRequested:      decode[CompensationReviewRequested],
	TypeCompensationReviewWindowExtended: decode[CompensationReviewWindowExtended],
	TypeCompensationReviewDecided:        decode[CompensationReviewDecided],
	TypeCompensationAppealLodged:         decode[CompensationAppealLodged],
	TypeCompensationAppealDecided:        decode[CompensationAppealDecided],
}

// JSONDecoder decodes JSON data into v exactly as [json.Unmarshal] does.
type JSONDecoder func(data []byte, v any) error

func decode[T Event](unmarshal JSONDecoder, data []byte) (Event, error) {
	var e T
	if err := unmarshal(data, &e); err != nil {
		return nil, err
	}
	return e, nil
}

// EventTypes returns the stored name of every event type, sorted.
func EventTypes() []string {
	ts := make([]string, 0, len(decoders))
	for t := range decoders {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// MarshalEvent encodes e for storage: its stored type name and its JSON
// payload. It returns an error for a nil event or a type the codec does not
// know.
func MarshalEvent(e Event) (typ string, data []byte, err error) {
	if e == nil {
		return "", nil, fmt.Errorf("marshal event: nil event")
	}
	typ = e.EventType()
	if _, ok := decoders[typ]; !ok {
		return "", nil, fmt.Errorf("marshal event %T: %w: %q", e, ErrUnknownEventType, typ)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("marshal event %s: %w", typ, err)
	}
	return typ, data, nil
}

// UnmarshalEvent decodes a stored event. An unknown type returns an error
// wrapping [ErrUnknownEventType]: a stream holding a fact this build does not
// understand must not be folded as if the fact were absent. Fields the type
// does not know are ignored, so a reader may be older than a writer that
// added an optional field.
func UnmarshalEvent(typ string, data []byte) (Event, error) {
	return UnmarshalEventWith(json.Unmarshal, typ, data)
}

// UnmarshalEventWith decodes a stored event as [UnmarshalEvent] does, with
// unmarshal in place of encoding/json: readers of the whole log pass a
// faster decoder that decodes the same bytes to the same values (the
// domain itself depends on the standard library alone).
func UnmarshalEventWith(unmarshal JSONDecoder, typ string, data []byte) (Event, error) {
	dec, ok := decoders[typ]
	if !ok {
		return nil, fmt.Errorf("unmarshal event: %w: %q", ErrUnknownEventType, typ)
	}
	e, err := dec(unmarshal, data)
	if err != nil {
		return nil, fmt.Errorf("unmarshal event %s: %w", typ, err)
	}
	return e, nil
}
