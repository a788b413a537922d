package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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
                                      (CONSUMER:ID where two queues hold ID)
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
	store, log := o.store, o.log
	n, err := newNode(ctx, store, o.dbs, log, nodeOptions{})
	if err != nil {
		return err
	}
	if sub == "list" {
		var queue []messaging.Poisoned
		for _, q := range n.queues() {
			entries, err := messaging.ListPoisoned(ctx, q.db.SQL, q.db.Dialect, *all)
			if err != nil {
				return err
			}
			queue = append(queue, entries...)
		}
		return printPoisoned(stdout, queue, *asJSON)
	}
	refs, err := poisonRefs(ctx, n, fs.Args(), *all)
	if err != nil {
		return err
	}
	var failed []error
	for _, r := range refs {
		if err := messaging.Replay(ctx, r.queue.db.SQL, r.queue.db.Dialect, store, time.Now, r.id, r.queue.consumers...); err != nil {
			fmt.Fprintf(stdout, "FAILED %s: %v\n", r, err)
			failed = append(failed, err)
			continue
		}
		fmt.Fprintf(stdout, "replayed %s\n", r)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d replays failed: %w", len(failed), len(refs), errors.Join(failed...))
	}
	return nil
}

// poisonRef is an entry of one poison queue.
type poisonRef struct {
	queue    poisonQueue
	consumer string
	id       int64
}

// String is how the entry is named to the operator: its id, and its
// consumer where ids alone would be ambiguous.
func (r poisonRef) String() string { return fmt.Sprintf("%d (%s)", r.id, r.consumer) }

// poisonRefs returns the entries to replay: those named, or with all every
// entry still waiting. Each queue numbers its own entries (on SQLite the
// read models' queue is in their file, the others' in the state file), so
// an id two queues hold is named as CONSUMER:ID.
func poisonRefs(ctx context.Context, n *node, args []string, all bool) ([]poisonRef, error) {
	if all == (len(args) > 0) {
		return nil, fmt.Errorf("name the entries to replay by id, or give --all: %w", errUsage)
	}
	var waiting []poisonRef // the candidates
	for _, q := range n.queues() {
		// Named entries are looked for among the replayed too (Replay
		// says so); --all takes those still waiting.
		entries, err := messaging.ListPoisoned(ctx, q.db.SQL, q.db.Dialect, !all)
		if err != nil {
			return nil, err
		}
		for _, p := range entries {
			waiting = append(waiting, poisonRef{queue: q, consumer: p.Consumer, id: p.ID})
		}
	}
	if all {
		return waiting, nil
	}
	var refs []poisonRef
	for _, a := range args {
		consumer, num, named := strings.Cut(a, ":")
		if !named {
			consumer, num = "", a
		}
		id, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a poison-queue id: %w", a, errUsage)
		}
		var found []poisonRef
		for _, r := range waiting {
			if r.id == id && (consumer == "" || r.consumer == consumer) {
				found = append(found, r)
			}
		}
		switch {
		case len(found) == 0:
			return nil, fmt.Errorf("no poison-queue entry %s: %w", a, errUsage)
		case len(found) > 1: // an id is unique within its queue
			return nil, fmt.Errorf("two queues hold entry %d: name it as CONSUMER:%d (%s or %s): %w", id, id, found[0].consumer, found[1].consumer, errUsage)
		}
		refs = append(refs, found[0])
	}
	return refs, nil
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
