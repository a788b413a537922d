package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/projections"
)

// subjectList is a flag that may be given more than once.
type subjectList []string

func (l *subjectList) String() string { return strings.Join(*l, ",") }

func (l *subjectList) Set(v string) error {
	if v == "" {
		return errors.New("a subject cannot be empty")
	}
	*l = append(*l, v)
	return nil
}

// erase is `acv erase`: list the data subjects of an asset, or erase
// subjects by destroying their keys and deriving the affected read models
// again.
func erase(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, c := newFlagSet("erase", "Erase personal data: destroy every key of each --subject (party:<id>, nomination:<id>, event:<id><pointer>), record the erasure, and derive the affected assets' read models again. With --list --asset ID, print each data subject of the asset with the events and fields that hold its data.", getenv, stderr)
	var subjects subjectList
	fs.Var(&subjects, "subject", "a data subject to erase (repeatable)")
	list := fs.Bool("list", false, "list the data subjects of --asset instead of erasing")
	asset := fs.String("asset", "", "the asset whose subjects --list prints")
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	if *list == (len(subjects) > 0) || (*list && *asset == "") {
		fmt.Fprintln(stderr, "acv erase: give --list --asset ID, or one or more --subject S")
		return errUsage
	}
	store, log, err := openLogged(ctx, *c, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	eraser, ok := store.(eventstore.Eraser)
	if !ok {
		return fmt.Errorf("erase: the %T store cannot erase", store)
	}
	if *list {
		return listSubjects(ctx, eraser, *asset, stdout)
	}
	er, err := eraser.Erase(ctx, subjects)
	if err != nil && len(er.Subjects) == 0 {
		return err
	}
	fmt.Fprintf(stdout, "acv: erased %d subject(s): %d key(s) destroyed in %d stream(s) at %s\n",
		len(subjects), er.Keys, len(er.Streams), er.At.Format("2006-01-02T15:04:05Z07:00"))
	if err != nil { // the keys are gone; only the physical clean-up failed
		log.Warn("erase: clean-up after the erasure failed", "err", err)
	}
	dbs, err := openReadModels(ctx, *c, store)
	if err != nil {
		return err
	}
	defer dbs.Close()
	db := dbs.read
	if err := projections.NewProjector(store, db, regimes(), log).Migrate(ctx); err != nil {
		return err
	}
	var ids []string
	for _, st := range er.Streams {
		if id, ok := projections.AssetID(st); ok {
			ids = append(ids, id)
		}
	}
	if err := projections.Rederive(ctx, store, db, regimes(), ids); err != nil {
		return fmt.Errorf("erase: the keys are destroyed, but deriving the read models again failed (run acv rebuild): %w", err)
	}
	fmt.Fprintf(stdout, "acv: read models of %d asset(s) derived again\n", len(ids))
	return nil
}

// listSubjects prints the data subjects of an asset, one line per subject
// and event: the subject, the event's version and type, and the fields.
func listSubjects(ctx context.Context, eraser eventstore.Eraser, asset string, stdout io.Writer) error {
	data, err := eraser.Subjects(ctx, domain.AssetStream(asset))
	if err != nil {
		return err
	}
	if len(data) == 0 {
		fmt.Fprintf(stdout, "acv: asset %s holds no personal data that is not erased\n", asset)
		return nil
	}
	for _, d := range data {
		fmt.Fprintf(stdout, "%s\tversion %d\t%s\t%s\t%s\n", d.Subject, d.Version, d.Type, d.EventID, strings.Join(d.Fields, " "))
	}
	return nil
}
