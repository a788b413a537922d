package projections

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acv-registry/acv/domain"
)

// Every stored event type has a plain-English rendering that is not the
// generic fallback: a new event type without one fails here. Each is tried
// with its golden payload (domain/testdata/events) and with a zero value.
func TestTimelineCoversEveryEventType(t *testing.T) {
	regimes := domain.DefaultRegimes()
	for _, typ := range domain.EventTypes() {
		t.Run(typ, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "domain", "testdata", "events", typ+".golden.json"))
			if err != nil {
				t.Fatalf("golden payload: %v", err)
			}
			for name, payload := range map[string][]byte{"golden": data, "zero": []byte(`{}`)} {
				e, err := domain.UnmarshalEvent(typ, payload)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				a := domain.Rebuild("a1", regimes, []domain.Event{e})
				text, rule, ok := describe(e, a, regimeOf(a, regimes, e), map[string]bool{})
				if !ok || text == "" || strings.HasPrefix(text, "The registry recorded") {
					t.Fatalf("%s: no rendering: %q", name, text)
				}
				if name == "golden" && (rule == "" || !strings.Contains(text, "("+rule+")")) {
					t.Errorf("%s: text %q does not cite its rule %q", name, text, rule)
				}
				if strings.Contains(text, "%!") {
					t.Errorf("%s: bad format: %q", name, text)
				}
			}
		})
	}
}

// The stories of derive_test.go raise every event type between them, and
// every entry of their timelines cites its rule and keeps what the log
// recorded.
func TestTimelineStories(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range []*dvStory{dvPub(t), dvLibrary(t, true)} {
		history := s.recorded()
		tl := s.derive().Timeline
		if len(tl) != len(history) {
			t.Fatalf("%s: %d timeline entries for %d events", s.id, len(tl), len(history))
		}
		for i, e := range tl {
			r := history[i]
			seen[e.Type] = true
			if e.Type != r.Type || e.Position != r.Position || e.Version != r.Version || e.Effective != r.Effective ||
				!e.RecordedAt.Equal(r.RecordedAt) || e.ActorRole != r.ActorRole || e.ActorOrg != r.ActorOrg || e.Regime != r.Regime {
				t.Errorf("%s entry %d does not keep the log's record: %+v vs %+v", s.id, i, e, r)
			}
			if e.Rule == "" || !strings.Contains(e.Text, "("+e.Rule+")") || !strings.HasSuffix(e.Text, ".") {
				t.Errorf("%s entry %d (%s): %q does not cite its rule %q", s.id, i, e.Type, e.Text, e.Rule)
			}
		}
	}
	for _, typ := range domain.EventTypes() {
		if !seen[typ] {
			t.Errorf("no story raises %s", typ)
		}
	}
}

// What the public reads, word for word, at the moments that matter.
func TestTimelineTexts(t *testing.T) {
	tl := dvPub(t).derive().Timeline
	lib := dvLibrary(t, true).derive().Timeline
	find := func(tl []TimelineEntry, typ, contains string) string {
		t.Helper()
		for _, e := range tl {
			if e.Type == typ && strings.Contains(e.Text, contains) {
				return e.Text
			}
		}
		t.Fatalf("no %s entry containing %q", typ, contains)
		return ""
	}
	for _, tt := range []struct {
		name, typ, contains, want string
		tl                        []TimelineEntry
	}{
		{"nomination, decision due in 8 weeks (Regs reg 7)", domain.TypeNominationReceived, "", "Nomination received from Friends of the Red Lion (an unincorporated community group). The council must decide by 1 March 2026 (Regs reg 7).", tl},
		{"overdue decision (Regs reg 7)", domain.TypeNominationDecisionOverdue, "", "The council did not decide the nomination within 8 weeks: the decision was due by 1 March 2026. This has no automatic outcome; the nomination is now overdue (Regs reg 7).", tl},
		{"late listing, 5 years from entry (s.87(3))", domain.TypeNominationDecided, "", "The council listed the land with effect from 12 March 2026. It stays on the list until 11 March 2031 (s.87(3)). The decision came after the time allowed, which ended on 1 March 2026; it is still valid (Regs reg 7).", tl},
		{"unsuccessful (s.93)", domain.TypeNominationDecided, "not to list", "The council decided not to list the land and gave the nominator its written reasons (s.90). The land goes on the list of unsuccessful nominations until 9 February 2025 (s.93).", lib},
		{"notice of listing (s.91)", domain.TypeNoticeGiven, "notice of the listing", "The council gave notice of the listing to the owner, the occupier and the nominator by post, explaining what listing means and the right to a review (s.91, Regs reg 9). The owner may ask for a review until 7 May 2026.", tl},
		{"owner's notice (s.95)", domain.TypeDisposalNoticeReceived, "", "The owner gave notice of a wish to sell. Interim moratorium until 14 February 2027, full moratorium (if a community group asks to bid) until 3 July 2027, protected period until 3 July 2028 (s.95(2)). Until the interim moratorium ends, community groups may ask to be treated as potential bidders, and the owner may sell only to a community group.", tl},
		{"valid request (Regs reg 12)", domain.TypeBidderRequestReceived, "asked", "Red Lion Community Benefit Society (a co-operative or community benefit society) asked to be treated as a potential bidder. The full moratorium runs until 3 July 2027: until then the owner may sell only to a community group (s.95(3), Regs reg 12).", tl},
		{"late request (s.95(3))", domain.TypeBidderRequestReceived, "Trust", "A request to be treated as a potential bidder from Anytown Community Trust (a charity) was rejected: it was received after the interim moratorium ended on 14 February 2027. It is recorded and starts nothing (s.95(3)).", tl},
		{"an individual cannot ask to bid (Regs reg 12)", domain.TypeBidderRequestReceived, "individual", "A request to be treated as a potential bidder from an individual was rejected: an individual is not a community interest group that may ask to bid. It is recorded and starts nothing (Regs reg 12).", tl},
		{"bid amounts are public", domain.TypeBidSubmitted, "Society", "Red Lion Community Benefit Society made a bid of £425,000 for the land during the moratorium (registry practice).", tl},
		{"private bidder", domain.TypeBidSubmitted, "private", "A private bidder made a bid of £300,000 for the land during the moratorium (registry practice).", tl},
		{"sale in the protected period (s.95(1))", domain.TypeDisposalRecorded, "", "The land was sold, or let on a lease of 25 years or more, on 1 August 2027: a relevant disposal (s.96). It met the conditions for selling listed land (s.95(1)).", tl},
		{"new private owner (Regs reg 19)", domain.TypeOwnerChanged, "", "The council was told that the land has a new owner: a private owner (Regs reg 19).", tl},
		{"removal (Regs reg 2(b))", domain.TypeRemovedFromList, "", "The land was removed from the list of assets of community value on 15 August 2027: it was sold or let on a long lease in a relevant disposal (Regs reg 2(b)).", tl},
		{"private owner's claim, no sum", domain.TypeCompensationClaimed, "", "A former owner claimed compensation for loss or expense caused by the listing (s.99, Regs reg 14).", tl},
		{"listing expired (s.87(3))", domain.TypeListingExpired, "", "The listing's 5 years ended on 6 June 2026: the land is no longer on the list of assets of community value, and may be nominated again (s.87(3)).", lib},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := find(tt.tl, tt.typ, tt.contains); got != tt.want {
				t.Errorf("text\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestTimelineWords(t *testing.T) {
	for in, want := range map[int64]string{0: "£0", 5: "£0.05", 100: "£1", 42_500_000: "£425,000", 123_456_789: "£1,234,567.89", -250: "-£2.50"} {
		if got := pounds(in); got != want {
			t.Errorf("pounds(%d) = %q, want %q", in, got, want)
		}
	}
	if got := date(dvDay("2026-05-26")); got != "26 May 2026" {
		t.Errorf("date = %q", got)
	}
	if got := periodWords(domain.Weeks(1)); got != "1 week" {
		t.Errorf("periodWords = %q", got)
	}
	rs := []domain.Recipient{{Role: domain.ToOwner}, {Role: domain.ToOwner}, {Role: domain.ToPublic}}
	if got := recipients(rs); got != "the owner and the public" {
		t.Errorf("recipients = %q", got)
	}
}

// TestSentenceIsSprintf: sentence writes what fmt.Sprintf does, for the
// formats the timeline uses (only %s and %%) and for any other: verbs it
// does not write itself, too few or too many arguments, a lone %.
func TestSentenceIsSprintf(t *testing.T) {
	for _, c := range []struct {
		format string
		args   []string
	}{
		{"", nil},
		{"no verbs", nil},
		{"The council listed the land%s. It stays on the list until %s (%s).", []string{"", "2 May 2031", "s.87(3)"}},
		{"%s%s", []string{"a", "b"}},
		{"100%% of %s", []string{"it"}},
		{"%s", []string{"%s %d"}}, // an argument is not a format
		{"%d and %s", []string{"x", "y"}},
		{"%q", []string{"quoted"}},
		{"%s and %s", []string{"one"}},
		{"%s", []string{"one", "two"}},
		{"ends in %", nil},
		{"ends in %s %", []string{"x"}},
		{"£%s", []string{"425,000"}},
	} {
		if got, want := sentence(c.format, c.args...), fmt.Sprintf(c.format, anys(c.args)...); got != want {
			t.Errorf("sentence(%q, %q) = %q, want %q", c.format, c.args, got, want)
		}
	}
	for d := domain.NewDate(1999, 12, 25); d.Year() < 2031; d = d.AddDays(13) {
		if got, want := date(d), fmt.Sprintf("%d %s %d", d.Day(), d.Month(), d.Year()); got != want {
			t.Fatalf("date(%s) = %q, want %q", d, got, want)
		}
	}
}
