package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/acv-registry/acv/messaging"
)

// poison is `acv poison list|replay`: the events a consumer gave up on.
func poison(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		fmt.Fprint(stderr, `Usage:
  acv poison list   [--all] [--json]   the events a consumer gave up on (--all: replayed ones too)
  acv poison replay ID... | --all      run them through their consumer again
`)
		return errUsage
	}
	sub := args[0]
	fs, c := newFlagSet("poison "+sub, "List or replay the poison queue: events a consumer of the log failed on after its retries.", getenv, stderr)
	all := fs.Bool("all", false, "list: include replayed entries; replay: every entry still waiting")
	asJSON := fs.Bool("json", false, "list: print JSON")
	parseArgs := parse
	if sub == "replay" {
		parseArgs = parseFlags // the ids follow the flags
	}
	if err := parseArgs(fs, args[1:]); err != nil {
		return helpOK(err)
	}
	o, err := openAll(ctx, *c, stderr)
	if err != nil {
		return err
	}
	defer o.Close()
	store, db, log := o.store, o.db, o.log
	n, err := newNode(ctx, store, db, log, nodeOptions{})
	if err != nil {
		return err
	}
	if sub == "list" {
		queue, err := messaging.ListPoisoned(ctx, db.SQL, db.Dialect, *all)
		if err != nil {
			return err
		}
		return printPoisoned(stdout, queue, *asJSON)
	}
	ids, err := poisonIDs(ctx, n, fs.Args(), *all)
	if err != nil {
		return err
	}
	var failed []error
	for _, id := range ids {
		if err := messaging.Replay(ctx, db.SQL, db.Dialect, store, time.Now, id, n.consumers...); err != nil {
			fmt.Fprintf(stdout, "FAILED %d: %v\n", id, err)
			failed = append(failed, err)
			continue
		}
		fmt.Fprintf(stdout, "replayed %d\n", id)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d replays failed: %w", len(failed), len(ids), errors.Join(failed...))
	}
	return nil
}

// poisonIDs returns the entries to replay: those named, or with all every
// entry still waiting.
func poisonIDs(ctx context.Context, n *node, args []string, all bool) ([]int64, error) {
	if all == (len(args) > 0) {
		return nil, fmt.Errorf("name the entries to replay by id, or give --all: %w", errUsage)
	}
	var ids []int64
	for _, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a poison-queue id: %w", a, errUsage)
		}
		ids = append(ids, id)
	}
	if all {
		queue, err := messaging.ListPoisoned(ctx, n.db.SQL, n.db.Dialect, false)
		if err != nil {
			return nil, err
		}
		for _, p := range queue {
			ids = append(ids, p.ID)
		}
	}
	return ids, nil
}

func printPoisoned(w io.Writer, queue []messaging.Poisoned, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if queue == nil {
			queue = []messaging.Poisoned{}
		}
		return enc.Encode(queue)
	}
	if len(queue) == 0 {
		fmt.Fprintln(w, "acv: the poison queue is empty")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCONSUMER\tPOSITION\tEVENT TYPE\tSTREAM\tCORRELATION ID\tPOISONED AT\tREPLAYED AT\tREASON")
	for _, p := range queue {
		replayed := "-"
		if !p.ReplayedAt.IsZero() {
			replayed = p.ReplayedAt.Format(time.RFC3339)
		} else if p.ReplayError != "" {
			replayed = "failed: " + p.ReplayError
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Consumer, p.Position, p.EventType, p.Stream,
			p.CorrelationID, p.PoisonedAt.Format(time.RFC3339), replayed, p.Reason)
	}
	return tw.Flush()
}
