package generate

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// NominationsPerYear is England's rate at scale 1 (domain-rules.md: about
// 700-800 a year).
const NominationsPerYear = 750

// Options says what to generate. The zero value of each field takes its
// default.
type Options struct {
	// Seed chooses the history: the same seed and options write the same
	// log.
	Seed uint64
	// Scale multiplies the nominations a year (1 = England). Default 1.
	Scale float64
	// Until is the last day of the history; default [DefaultUntil]. The
	// history begins Years before it, or on the regime's commencement if
	// that is later.
	Until domain.Date
	// Years is the history's length; default 15.
	Years int
	// Councils is how many councils keep lists; default 310.
	Councils int
	// Regimes are the legal regimes; default domain.DefaultRegimes().
	Regimes domain.Regimes
	// Progress, if set, is called after each year of history is appended.
	Progress func(Stats)
}

// DefaultUntil is the default last day of the history: fixed, so that the
// default log is the same whenever it is generated.
var DefaultUntil = domain.NewDate(2026, 9, 30)

// Stats counts what was written.
type Stats struct {
	Events  int64 // events appended
	Appends int64 // calls to Append
	Assets  int64 // streams written
	Through domain.Date
	// Types counts the events by stored type.
	Types map[string]int64
}

// Count returns how many events of the domain event type typ were written.
func (s Stats) Count(typ string) int64 { return s.Types[typ] }

// actor is who the generated events are recorded as: a council officer,
// acting through the generator (TokenID names it, so that tools can tell
// generated data apart).
func actor(c *council) eventstore.Actor {
	return eventstore.Actor{Org: "local-authority:" + c.code, Role: "council_officer", TokenID: ActorToken}
}

// ActorToken is the token id recorded on every generated event.
const ActorToken = "acv-generate"

// Run writes the history that opts describe into store, which should be
// empty (an asset id the seed makes that is stored already fails the run
// with a conflict). It returns what it wrote; on an error or a cancelled
// ctx it stops and returns what was written so far with the error.
func Run(ctx context.Context, store eventstore.Store, opts Options) (Stats, error) {
	g, err := newGenerator(opts)
	if err != nil {
		return Stats{}, err
	}
	batches := make(chan batch, 4096)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	simErr := make(chan error, 1)
	go func() {
		defer close(batches)
		simErr <- g.simulate(ctx, batches)
	}()
	stats := Stats{Types: map[string]int64{}}
	var appendErr error
	for b := range batches {
		if b.progress != nil {
			stats.Through = *b.progress
			if opts.Progress != nil {
				opts.Progress(stats)
			}
			continue
		}
		if appendErr != nil {
			continue // drain until the simulation sees the cancellation
		}
		if _, err := store.Append(ctx, b.stream, b.expected, b.events); err != nil {
			appendErr = fmt.Errorf("generate: append %s: %w", b.stream, err)
			cancel()
			continue
		}
		stats.Appends++
		stats.Events += int64(len(b.events))
		if b.expected == eventstore.NoStream {
			stats.Assets++
		}
		for _, e := range b.events {
			stats.Types[e.Type]++
		}
	}
	if err := <-simErr; err != nil && appendErr == nil && !errors.Is(err, context.Canceled) {
		return stats, err
	}
	if appendErr != nil {
		return stats, appendErr
	}
	return stats, ctx.Err()
}

// batch is one Append: one asset's events of one year. A batch with
// progress set carries no events: the simulation has reached that day.
type batch struct {
	stream   string
	expected eventstore.ExpectedVersion
	events   []eventstore.NewEvent
	progress *domain.Date
}

// generator is the simulation's state. It is used by one goroutine.
type generator struct {
	opts     Options
	rng      *rand.Rand
	councils []*council
	weights  float64
	from     domain.Date
	queue    actions
	seq      uint64
	bodies   int
	owners   int
	cases    map[int]int // tribunal case numbers used, by year
	touched  []*site     // sites with facts in the current year, in order of first touch
}

func newGenerator(opts Options) (*generator, error) {
	if opts.Scale == 0 {
		opts.Scale = 1
	}
	if opts.Scale < 0 || math.IsNaN(opts.Scale) || math.IsInf(opts.Scale, 0) {
		return nil, fmt.Errorf("generate: scale %v: want a positive number", opts.Scale)
	}
	if opts.Until.IsZero() {
		opts.Until = DefaultUntil
	}
	if opts.Years <= 0 {
		opts.Years = 15
	}
	if opts.Councils <= 0 {
		opts.Councils = 310
	}
	if len(opts.Regimes.All()) == 0 {
		opts.Regimes = domain.DefaultRegimes()
	}
	g := &generator{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15)), cases: map[int]int{}}
	g.from = domain.NewDate(opts.Until.Year()-opts.Years, opts.Until.Month(), opts.Until.Day()+1)
	if first := opts.Regimes.All()[0].InForceFrom; g.from.Before(first) { // sorted by commencement
		g.from = first
	}
	if !g.from.Before(opts.Until) {
		return nil, fmt.Errorf("generate: no regime is in force before %s", opts.Until)
	}
	g.councils = newCouncils(g.rng, opts.Councils)
	for _, c := range g.councils {
		g.weights += c.weight
	}
	return g, nil
}

// newID makes an id from the seed: a version 4 UUID.
func (g *generator) newID() uuid.UUID {
	var u uuid.UUID
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	for i := 0; i < 8; i++ {
		u[i], u[8+i] = byte(hi>>(56-8*i)), byte(lo>>(56-8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func (g *generator) newIDString() string { return g.newID().String() }

// days returns a whole number of days drawn uniformly from [lo, hi].
func (g *generator) days(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + g.rng.IntN(hi-lo+1)
}

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

// simulate runs the history year by year: new nominations arrive through
// the year, every scheduled action of the year runs in date order, then
// each asset touched in the year is sent as one batch.
func (g *generator) simulate(ctx context.Context, out chan<- batch) error {
	rate := NominationsPerYear * g.opts.Scale * newShare
	for start := g.from; !start.After(g.opts.Until); {
		end := domain.NewDate(start.Year()+1, start.Month(), start.Day()) // first day of the next year
		if end.After(g.opts.Until) {
			end = g.opts.Until.AddDays(1)
		}
		span := start.DaysUntil(end)
		n := int(rate*float64(span)/365.25 + g.rng.Float64())
		arrivals := make([]domain.Date, n)
		for i := range arrivals {
			arrivals[i] = start.AddDays(g.rng.IntN(span))
		}
		sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
		for _, d := range arrivals {
			c := pick(g.rng, g.councils, g.weights)
			s := &site{id: g.newIDString(), council: c, land: newLand(g.rng, c), owner: g.newOwner(c)}
			s.agg = domain.NewAsset(s.id, g.opts.Regimes)
			g.schedule(s, d, nominate)
		}
		for g.queue.Len() > 0 && g.queue[0].day.Before(end) {
			if err := ctx.Err(); err != nil {
				return err
			}
			a := heap.Pop(&g.queue).(*action)
			a.site.queued--
			if err := g.run(a); err != nil {
				return fmt.Errorf("generate: asset %s on %s (%s): %w", a.site.id, a.day, a.kind, err)
			}
		}
		if err := g.flush(ctx, out); err != nil {
			return err
		}
		through := end.AddDays(-1)
		select {
		case out <- batch{progress: &through}:
		case <-ctx.Done():
			return ctx.Err()
		}
		start = end
	}
	return nil
}

// newShare is the share of nominations that are of land never nominated
// before; re-nominations make up the rest of [NominationsPerYear].
const newShare = 0.84

// flush sends the facts of every site touched this year, one batch each.
func (g *generator) flush(ctx context.Context, out chan<- batch) error {
	for _, s := range g.touched {
		s.touched = false
		pending := s.agg.Pending()[s.saved:]
		if len(pending) == 0 {
			continue
		}
		corr := g.newID()
		events := make([]eventstore.NewEvent, len(pending))
		for i, e := range pending {
			typ, data, err := domain.MarshalEvent(e)
			if err != nil {
				return fmt.Errorf("generate: asset %s: %w", s.id, err)
			}
			events[i] = eventstore.NewEvent{ID: g.newID(), Type: typ, Data: data, Metadata: eventstore.Metadata{
				EffectiveDate: e.EffectiveOn(), Actor: actor(s.council), CorrelationID: corr,
				Regime: s.agg.RegimeOf(e), SchemaVersion: 1,
			}}
		}
		b := batch{stream: domain.AssetStream(s.id), expected: eventstore.Exact(int64(s.saved)), events: events}
		s.saved += len(pending)
		if s.queued == 0 {
			s.agg = nil // its story is over: let the collector have it
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.touched = g.touched[:0]
	return nil
}

// site is one piece of land and its aggregate.
type site struct {
	id      string
	council *council
	land    domain.Land
	owner   domain.Party // as first nominated; the aggregate knows the current owner
	group   domain.Body  // the latest nominator
	agg     *domain.Asset
	saved   int // pending events already sent
	queued  int // actions scheduled
	touched bool
	ticks   []domain.Date // clock ticks scheduled
	nom     string        // the latest nomination
	notice  string        // the latest disposal notice
	request string        // its accepted bidder request
	cig     domain.Body   // the group that made it
	bids    []string      // its bids
}

// action is something that happens to a site on a day.
type action struct {
	day  domain.Date
	seq  uint64
	site *site
	kind kind
}

// actions is a min-heap by (day, seq): the order in which things happen,
// ties in the order they were scheduled.
type actions []*action

func (q actions) Len() int { return len(q) }
func (q actions) Less(i, j int) bool {
	if c := q[i].day.Compare(q[j].day); c != 0 {
		return c < 0
	}
	return q[i].seq < q[j].seq
}
func (q actions) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *actions) Push(x any)   { *q = append(*q, x.(*action)) }
func (q *actions) Pop() any {
	old := *q
	a := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return a
}

// schedule makes k happen to s on day, if day is within the history.
func (g *generator) schedule(s *site, day domain.Date, k kind) {
	if day.After(g.opts.Until) {
		return
	}
	g.seq++
	s.queued++
	heap.Push(&g.queue, &action{day: day, seq: g.seq, site: s, kind: k})
}

// run runs one action: first the clocks up to its day, then the action,
// then it schedules a tick for the next period that ends.
func (g *generator) run(a *action) error {
	s := a.site
	if !s.touched {
		s.touched = true
		g.touched = append(g.touched, s)
	}
	if s.agg.Version() > 0 || len(s.agg.Pending()) > 0 {
		if err := s.agg.AdvanceClocks(a.day); err != nil {
			return err
		}
	}
	if err := g.handle(s, a.day, a.kind); err != nil {
		return err
	}
	g.scheduleTick(s, a.day)
	return nil
}

// tickingClocks are the clocks whose end raises an event.
var tickingClocks = map[domain.ClockName]bool{
	domain.ClockDecision: true, domain.ClockListing: true, domain.ClockUnsuccessfulEntry: true,
	domain.ClockReviewDecision: true, domain.ClockInterimMoratorium: true, domain.ClockFullMoratorium: true,
	domain.ClockProtectedPeriod: true,
}

// scheduleTick schedules the clocks to advance on the day after the first
// running period ends, unless a tick is scheduled for that day already.
func (g *generator) scheduleTick(s *site, today domain.Date) {
	var next domain.Date
	for _, c := range s.agg.Clocks(today) {
		if c.Status != domain.ClockRunning || !tickingClocks[c.Name] {
			continue
		}
		if d := c.End.AddDays(1); next.IsZero() || d.Before(next) {
			next = d
		}
	}
	if next.IsZero() {
		return
	}
	kept := s.ticks[:0]
	for _, t := range s.ticks {
		if t == next {
			return
		}
		if t.After(today) {
			kept = append(kept, t)
		}
	}
	s.ticks = append(kept, next)
	g.schedule(s, next, tick)
}

// EventsAtScale1 is about how many events a history at scale 1 holds (with
// the default dates and councils); the count grows in proportion to the
// scale. `acv bench --events N` uses it to choose the scale.
const EventsAtScale1 = 59_600
