package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/acv-registry/acv/eventstore"
)

// errBrokenChain reports that verify found a hash chain that does not hold.
var errBrokenChain = errors.New("the event log has been altered")

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, c := newFlagSet("migrate", "Apply pending schema migrations to the configured store and exit. Safe to run again, and from several nodes at once.", getenv, stderr)
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	store, _, err := openLogged(ctx, *c, stderr) // opening migrates, under a lock
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintln(stdout, "acv: schema is up to date")
	return nil
}

func verify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, c := newFlagSet("verify", "Recompute the hash chain of every stream, or of one with --stream, and report the first broken link of each. Exits 3 if any link is broken.", getenv, stderr)
	stream := fs.String("stream", "", "check only this stream (asset-<uuid>)")
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	store, _, err := openLogged(ctx, *c, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	var report eventstore.VerifyReport
	if *stream != "" {
		report, err = store.Verify(ctx, *stream)
	} else {
		report, err = store.VerifyAll(ctx)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "acv: checked %d events in %d streams\n", report.Events, report.Streams)
	if report.OK() {
		fmt.Fprintln(stdout, "acv: every hash chain holds")
		return nil
	}
	for _, b := range report.Breaks {
		fmt.Fprintf(stdout, "BROKEN %s\n", b)
	}
	return fmt.Errorf("%d of %d streams fail verification, first %s: %w", len(report.Breaks), report.Streams, report.Breaks[0], errBrokenChain)
}
