package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/internal/generate"
)

// generateFlags are the options of `acv generate`, shared with `acv bench`.
type generateFlags struct {
	seed     uint64
	scale    float64
	until    string
	years    int
	councils int
}

func (f *generateFlags) options() (generate.Options, error) {
	until, err := domain.ParseDate(f.until)
	if err != nil {
		return generate.Options{}, fmt.Errorf("--until %q: %w", f.until, err)
	}
	if f.scale <= 0 {
		return generate.Options{}, fmt.Errorf("--scale %v: want a positive number", f.scale)
	}
	return generate.Options{Seed: f.seed, Scale: f.scale, Until: until, Years: f.years, Councils: f.councils, Regimes: regimes()}, nil
}

// generate is `acv generate`.
func generateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, c := newFlagSet("generate", fmt.Sprintf("Write a realistic national history into the configured store, through the domain's commands and "+
		"the store's batch append: about 310 councils, %d nominations a year from the regime's commencement, reviews, appeals, "+
		"disposal notices, moratoria, bids, sales, expiries and re-nominations. Deterministic: the same seed and flags write the same "+
		"history (running it again writes nothing new). Scale 1 is about %d events; --scale %.0f is about 1,000,000.",
		generate.NominationsPerYear, generate.EventsAtScale1, 1e6/generate.EventsAtScale1), getenv, stderr)
	var gf generateFlags
	gf.register(fs)
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	opts, err := gf.options()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage
	}
	store, log, err := openLogged(ctx, *c, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	started := time.Now()
	opts.Progress = func(s generate.Stats) {
		log.Info("generate", "through", s.Through.String(), "events", s.Events, "assets", s.Assets)
	}
	stats, err := generate.Run(ctx, store, opts)
	if err != nil {
		return err
	}
	elapsed := time.Since(started)
	fmt.Fprintf(stdout, "acv: generated %d events in %d appends for %d assets in %s (%.0f events/s)\n",
		stats.Events, stats.Appends, stats.Assets, elapsed.Round(time.Millisecond), float64(stats.Events)/elapsed.Seconds())
	types := make([]string, 0, len(stats.Types))
	for t := range stats.Types {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		fmt.Fprintf(stdout, "  %-42s %9d\n", t, stats.Types[t])
	}
	return nil
}

func (f *generateFlags) register(fs interface {
	Uint64Var(*uint64, string, uint64, string)
	Float64Var(*float64, string, float64, string)
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
}) {
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the history: the same seed and flags write the same events")
	fs.Float64Var(&f.scale, "scale", 1, "multiplies the nominations a year (1 = England)")
	fs.StringVar(&f.until, "until", generate.DefaultUntil.String(), "last day of the history (YYYY-MM-DD)")
	fs.IntVar(&f.years, "years", 15, "length of the history in years, from --until back (not before the regime's commencement)")
	fs.IntVar(&f.councils, "councils", 310, "how many councils keep lists")
}
