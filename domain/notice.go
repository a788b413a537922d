package domain

import "fmt"

// Notice is a written notice the council gave: what kind, what it is about
// (Subject: a nomination id for consultation, listing, unsuccessful and
// removal notices; a disposal notice id for moratorium publicity; a bidder
// request id for passing a request to the owner), to whom, how and when.
type Notice struct {
	ID         string
	Kind       NoticeKind
	Subject    string
	Recipients []Recipient
	Method     Method
	GivenOn    Date
}

// Consult records the steps taken under Regs reg 8 (check: the exact list) to
// tell the owner, lawful occupants and freehold and leasehold holders that the
// council is considering nomination nominationID. It is [Asset.GiveNotice]
// with Kind [ConsultationNotice].
func (a *Asset) Consult(nominationID string, n Notice, today Date) error {
	n.Kind, n.Subject = ConsultationNotice, nominationID
	return a.GiveNotice(n, today)
}

// GiveNotice records a notice given by the council. It returns a
// *ValidationError for a missing recipient, method or date, or a date after
// today or before its subject; an error wrapping [ErrNotFound] for an unknown
// subject; and a *RuleError when the subject is in the wrong state for the
// notice: a consultation after the decision, a listing notice for land not
// listed, a removal notice for an entry not removed, publicity for a disposal
// notice not received, a request passed on that was rejected.
//
// The first listing notice of an entry starts the owner's review window
// (s.92).
func (a *Asset) GiveNotice(n Notice, today Date) error {
	if err := a.checkNewID("notice_id", n.ID); err != nil {
		return err
	}
	if err := checkDay("given_on", n.GivenOn, today); err != nil {
		return err
	}
	if len(n.Recipients) == 0 {
		return invalid("recipients", "at least one recipient is required")
	}
	for i, r := range n.Recipients {
		switch r.Role {
		case ToOwner, ToOccupier, ToNominator, ToFreeholder, ToLeaseholder, ToPublic:
		default:
			return invalid(fmt.Sprintf("recipients[%d].role", i), fmt.Sprintf("unknown role %q", r.Role))
		}
		if r.Party.Name == "" {
			return invalid(fmt.Sprintf("recipients[%d].party.name", i), "is required")
		}
	}
	switch n.Method {
	case ByPost, ByEmail, ByHand, BySiteNotice, ByNewspaper, ByWebsite:
	default:
		return invalid("method", fmt.Sprintf("unknown method %q", n.Method))
	}
	if err := a.checkNoticeSubject(n); err != nil {
		return err
	}
	a.raise(NoticeGiven{
		AssetID:    a.id,
		NoticeID:   n.ID,
		Kind:       n.Kind,
		Subject:    n.Subject,
		Recipients: append([]Recipient(nil), n.Recipients...),
		Method:     n.Method,
		GivenOn:    n.GivenOn,
	})
	return nil
}

func (a *Asset) checkNoticeSubject(n Notice) error {
	switch n.Kind {
	case ConsultationNotice, ListingNotice, UnsuccessfulNotice, RemovalNotice:
		nom := a.nomination(n.Subject)
		if nom == nil {
			return fmt.Errorf("nomination %s: %w", n.Subject, ErrNotFound)
		}
		return a.checkNominationNotice(n, nom)
	case MoratoriumPublicity:
		dn := a.notice(n.Subject)
		if dn == nil {
			return fmt.Errorf("disposal notice %s: %w", n.Subject, ErrNotFound)
		}
		return checkNotBefore("given_on", n.GivenOn, dn.ReceivedOn, "the owner's notice was received")
	case BidderRequestPassing:
		r := a.request(n.Subject)
		if r == nil {
			return fmt.Errorf("bidder request %s: %w", n.Subject, ErrNotFound)
		}
		if r.Status != RequestAccepted {
			return ruleErr(RulePassRequest, fmt.Sprintf("bidder request %s was rejected; only a valid request is passed to the owner", r.RequestID))
		}
		return checkNotBefore("given_on", n.GivenOn, r.ReceivedOn, "the request was received")
	}
	return invalid("kind", fmt.Sprintf("unknown notice kind %q", n.Kind))
}

func (a *Asset) checkNominationNotice(n Notice, nom *nominationState) error {
	switch n.Kind {
	case ConsultationNotice:
		if err := checkNotBefore("given_on", n.GivenOn, nom.ReceivedOn, "the nomination was received"); err != nil {
			return err
		}
		if nom.decided != nil && n.GivenOn.After(nom.decided.DecidedOn) {
			return ruleErr(RuleConsultation, fmt.Sprintf("nomination %s was decided on %s; consultation happens while it is considered", nom.NominationID, nom.decided.DecidedOn))
		}
	case ListingNotice:
		e := a.entry(nom.NominationID)
		if e == nil {
			return ruleErr(RuleListingNotice, fmt.Sprintf("nomination %s did not list the land", nom.NominationID))
		}
		return checkNotBefore("given_on", n.GivenOn, e.enteredOn, "the date of entry")
	case UnsuccessfulNotice:
		if nom.decided == nil || nom.decided.Outcome != NotListed {
			return ruleErr(RuleDecision, fmt.Sprintf("nomination %s was not decided unsuccessful", nom.NominationID))
		}
		return checkNotBefore("given_on", n.GivenOn, nom.decided.DecidedOn, "the decision")
	case RemovalNotice:
		e := a.entry(nom.NominationID)
		if e == nil || !e.ended() {
			return ruleErr(RuleRemovalNotice, fmt.Sprintf("the entry made by nomination %s has not been removed", nom.NominationID))
		}
		return checkNotBefore("given_on", n.GivenOn, e.endedOn(), "the removal")
	}
	return nil
}

func (a *Asset) applyNoticeGiven(e NoticeGiven) {
	a.ids[e.NoticeID] = true
	a.given = append(a.given, e)
	if e.Kind != ListingNotice {
		return
	}
	if en := a.entry(e.Subject); en != nil && (en.noticeOn.IsZero() || e.GivenOn.Before(en.noticeOn)) {
		en.noticeOn = e.GivenOn
	}
}

// endedOn returns the first day the entry was off the list.
func (e *entryState) endedOn() Date {
	if e.removed != nil {
		return e.removed.RemovedOn
	}
	return e.lastDay().AddDays(1)
}
