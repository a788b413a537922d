package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
)

// An asset's page, its timeline, its raw events and their verification.

// asset serves the asset now: its public view, derived from its stream
// (projections.Queries.Asset), with the status of every clock worked out
// for today, and its stream version as ETag.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	row, err := s.Reader.Asset(r.Context(), id)
	if err != nil {
		return notFoundOr(err, "asset", id)
	}
	etag := strconv.Quote(strconv.FormatInt(row.Version, 10))
	w.Header().Set("ETag", etag)
	if matchesETag(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	view, err := clocksOn(row.View, s.today())
	if err != nil {
		return fmt.Errorf("asset %s: %w", id, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(append(view, '\n'))
	return err
}

// matchesETag reports whether an If-None-Match header names etag (weakly
// compared, as RFC 9110 asks for If-None-Match) or is "*".
func matchesETag(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// clocksOn rewrites the status of each clock in an asset view for today.
// The view holds the status on the day of its last event, which goes
// stale as days pass without events: a running decision period becomes due
// on its last day and overdue after it. Every other field passes through.
func clocksOn(view json.RawMessage, today domain.Date) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(view, &fields); err != nil {
		return nil, fmt.Errorf("decode asset view: %w", err)
	}
	raw, ok := fields["clocks"]
	if !ok {
		return view, nil
	}
	var clocks []projections.ClockView
	if err := json.Unmarshal(raw, &clocks); err != nil {
		return nil, fmt.Errorf("decode asset clocks: %w", err)
	}
	for i := range clocks {
		clocks[i].Status = clockStatusOn(clocks[i], today)
	}
	b, err := json.Marshal(nonNil(clocks))
	if err != nil {
		return nil, fmt.Errorf("encode asset clocks: %w", err)
	}
	fields["clocks"] = b
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode asset view: %w", err)
	}
	return out, nil
}

// clockStatusOn is where clock c stands on today: stopped (what it waited
// for happened) stays stopped; otherwise running before its last day, due
// on it, and after it overdue for a decision the council owes, ended for
// any other period.
func clockStatusOn(c projections.ClockView, today domain.Date) string {
	if c.Status == string(domain.ClockStopped) {
		return c.Status
	}
	switch today.Compare(c.End) {
	case -1:
		return string(domain.ClockRunning)
	case 0:
		return "due"
	}
	if c.Status == string(domain.ClockOverdue) || owedDecision(domain.ClockName(c.Name)) {
		return string(domain.ClockOverdue)
	}
	return string(domain.ClockEnded)
}

// owedDecision reports whether a clock times a decision the council must
// make, so that passing its end makes it overdue rather than ended.
func owedDecision(n domain.ClockName) bool {
	return n == domain.ClockDecision || n == domain.ClockReviewDecision
}

// timelinePage is the body of GET /v1/assets/{id}/timeline.
type timelinePage struct {
	AssetID string              `json:"asset_id"`
	Items   []timelineEntryView `json:"items"`
}

// timelineEntryView is a timeline entry with its actor in words: the role
// and the organisation's public name ("Council officer, Wyre Forest
// District Council"). It never names a person or a token.
type timelineEntryView struct {
	projections.TimelineEntry
	Actor string `json:"actor,omitempty"`
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	tl, err := s.Reader.Timeline(r.Context(), id)
	if err != nil {
		return notFoundOr(err, "asset", id)
	}
	names, err := s.actorNames(r.Context(), tl)
	if err != nil {
		return err
	}
	items := make([]timelineEntryView, len(tl))
	for i, e := range tl {
		items[i] = timelineEntryView{TimelineEntry: e, Actor: actorWords(e.ActorRole, e.ActorOrg, names)}
	}
	return writeJSON(w, http.StatusOK, timelinePage{AssetID: id, Items: items})
}

// actorNames returns the public names of the organisations that acted in
// tl, as far as the organisation directory knows them.
func (s *Server) actorNames(ctx context.Context, tl []projections.TimelineEntry) (map[string]string, error) {
	dir, ok := s.directory()
	if !ok {
		return nil, nil
	}
	var ids []string
	for _, e := range tl {
		if e.ActorOrg != "" && e.ActorOrg != RegistryOrg && !slices.Contains(ids, e.ActorOrg) {
			ids = append(ids, e.ActorOrg)
		}
	}
	names, err := dir.OrganisationNames(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("timeline actors: %w", err)
	}
	return names, nil
}

// actorWords describes an actor for the public: its role, then its
// organisation's public name, or the organisation's id (organisations' ids
// are public) when the directory does not know it.
func actorWords(role, org string, names map[string]string) string {
	var who string
	switch role {
	case "":
		return ""
	case RoleCouncilOfficer:
		who = "Council officer"
	case RoleCommunityGroup:
		who = "Community group"
	case RoleOwner:
		who = "Owner"
	case RoleAdministrator:
		who = "Administrator"
	case "system":
		who = "The registry"
	default:
		who = strings.ToUpper(role[:1]) + strings.ReplaceAll(role[1:], "_", " ")
	}
	switch {
	case org == "" || role == "system":
		return who
	case org == RegistryOrg:
		return who + ", the registry"
	case names[org] != "":
		return who + ", " + names[org]
	}
	return who + ", " + org
}

// eventView is one raw event as the API shows it. Hashes are hex. Redacted
// lists, as JSON pointers into the event, what was removed because it is
// personal data. The hash is over the event as stored, with its personal
// data sealed: the data shown (opened, or redacted) does not hash to it;
// /verify checks the stored form.
type eventView struct {
	ID         uuid.UUID       `json:"id"`
	Stream     string          `json:"stream"`
	Position   int64           `json:"position"`
	Version    int64           `json:"version"`
	Type       string          `json:"type"`
	Data       json.RawMessage `json:"data"`
	Metadata   metadataView    `json:"metadata"`
	RecordedAt time.Time       `json:"recorded_at"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
	Redacted   []string        `json:"redacted,omitempty"`
}

// metadataView is an event's metadata as the API shows it: the token an
// actor used is not shown.
type metadataView struct {
	EffectiveDate domain.Date `json:"effective_date"`
	Actor         actorView   `json:"actor"`
	CorrelationID uuid.UUID   `json:"correlation_id"`
	CausationID   uuid.UUID   `json:"causation_id"`
	Regime        string      `json:"regime,omitempty"`
	SchemaVersion int         `json:"schema_version"`
}

// actorView is who caused an event: an organisation and its role.
type actorView struct {
	Org  string `json:"org,omitempty"`
	Role string `json:"role,omitempty"`
}

// eventPage is the body of GET /v1/assets/{id}/events.
type eventPage struct {
	AssetID    string      `json:"asset_id"`
	Items      []eventView `json:"items"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// events serves the asset's stream as stored, a page at a time, with
// personal data redacted unless the caller may see it.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	q := newQuery(r)
	page := q.page()
	from := int64(1)
	if page.Cursor != "" {
		v, ok := decodeVersionCursor(page.Cursor)
		if !ok {
			q.fail("cursor", "must be the next_cursor of a previous page")
		}
		from = v
	}
	if err := q.err(); err != nil {
		return err
	}
	// The whole stream, even for a later page: redaction learns from every
	// event which parties are organisations.
	stored, err := s.Store.ReadStream(r.Context(), domain.AssetStream(id), 1, eventstore.Opened)
	if err != nil {
		return fmt.Errorf("read asset %s: %w", id, err)
	}
	if len(stored) == 0 {
		return notFoundOr(domain.ErrNotFound, "asset", id)
	}
	council, err := councilOf(stored)
	if err != nil {
		return err
	}
	caller := CallerFrom(r.Context())
	var rd *redactor
	if !seesPersonalData(caller, council) {
		rd = newRedactor(stored)
	}
	out := eventPage{AssetID: id, Items: []eventView{}}
	for _, e := range stored {
		if e.Version < from {
			continue
		}
		if len(out.Items) == page.Limit {
			out.NextCursor = encodeVersionCursor(e.Version)
			break
		}
		erd := rd
		if ownNomination(caller, e) {
			erd = nil // a community group sees its own nominations in full (api.md)
		}
		v, err := viewOf(e, erd)
		if err != nil {
			return fmt.Errorf("asset %s version %d: %w", id, e.Version, err)
		}
		out.Items = append(out.Items, v)
	}
	return writeJSON(w, http.StatusOK, out)
}

// viewOf shows stored event e, with personal data redacted by rd unless
// rd is nil.
func viewOf(e eventstore.Event, rd *redactor) (eventView, error) {
	data, redacted := e.Data, []string(nil)
	if rd != nil {
		var err error
		if data, redacted, err = rd.redact(e.Data); err != nil {
			return eventView{}, err
		}
	}
	m := e.Metadata
	return eventView{
		ID: e.ID, Stream: e.Stream, Position: e.Position, Version: e.Version, Type: e.Type, Data: data,
		Metadata: metadataView{EffectiveDate: m.EffectiveDate, Actor: actorView{Org: m.Actor.Org, Role: m.Actor.Role},
			CorrelationID: m.CorrelationID, CausationID: m.CausationID, Regime: m.Regime, SchemaVersion: m.SchemaVersion},
		RecordedAt: e.RecordedAt, PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash),
		Redacted: redacted,
	}, nil
}

// encodeVersionCursor makes the opaque cursor of a page of events that
// starts at version v.
func encodeVersionCursor(v int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v" + strconv.FormatInt(v, 10)))
}

func decodeVersionCursor(c string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !bytes.HasPrefix(b, []byte("v")) {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b[1:]), 10, 64)
	return v, err == nil && v >= 1
}

// verifyReport is the body of GET /v1/assets/{id}/verify.
type verifyReport struct {
	AssetID string        `json:"asset_id"`
	OK      bool          `json:"ok"`
	Events  int64         `json:"events"`
	Breaks  []verifyBreak `json:"breaks"`
}

// verifyBreak is a link of the chain that does not hold.
type verifyBreak struct {
	Version int64  `json:"version"`
	Reason  string `json:"reason"`
}

// verify recomputes the hash chain of the asset's stream. The chain alone
// cannot see events removed from the end of a stream, so verify also
// compares the stream's length with the version the read models have seen:
// the read models may lag behind the log, never run ahead of it.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	rep, err := s.Store.Verify(r.Context(), domain.AssetStream(id))
	if err != nil {
		return fmt.Errorf("verify asset %s: %w", id, err)
	}
	out := verifyReport{AssetID: id, Events: rep.Events, Breaks: []verifyBreak{}}
	for _, b := range rep.Breaks {
		out.Breaks = append(out.Breaks, verifyBreak{Version: b.Version, Reason: b.Reason})
	}
	seen, err := s.Reader.SeenVersion(r.Context(), id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		if rep.Events == 0 {
			return notFoundOr(err, "asset", id)
		}
	case err != nil:
		return fmt.Errorf("verify asset %s: %w", id, err)
	case seen > rep.Events:
		out.Breaks = append(out.Breaks, verifyBreak{Version: rep.Events + 1,
			Reason: fmt.Sprintf("the stream ends at version %d, but the registry has seen version %d: events are missing", rep.Events, seen)})
	}
	out.OK = len(out.Breaks) == 0
	return writeJSON(w, http.StatusOK, out)
}
