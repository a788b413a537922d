package projections

import (
	"context"
	"fmt"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// Rederive derives the rows of the assets with ids again from their whole
// streams and replaces them, in one transaction that holds the read
// models' offset row (as a consumer batch and a rebuild's swap do), so no
// projector on any node interleaves with it. Erasure uses it: once a data
// subject's keys are gone the streams read with placeholders, and the
// rows must forget whatever they derived from the erased data. Streams
// that are not asset streams are skipped.
func Rederive(ctx context.Context, store eventstore.Store, db DB, regimes domain.Regimes, ids []string) error {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rederive: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := messaging.LockOffset(ctx, tx, db.Dialect, ConsumerName); err != nil {
		return fmt.Errorf("rederive: %w", err)
	}
	rows := make([]AssetRows, 0, len(ids))
	for _, id := range ids {
		stored, err := store.ReadStream(ctx, domain.AssetStream(id), 1, eventstore.AsErased) // as the projector reads it
		if err != nil {
			return fmt.Errorf("rederive: %w", err)
		}
		if len(stored) == 0 {
			continue
		}
		history, err := Decode(stored)
		if err != nil {
			return fmt.Errorf("rederive: asset %s: %w", id, err)
		}
		rows = append(rows, derive(id, regimes, history, withTables))
	}
	if err := (Writer{Dialect: db.Dialect}).Replace(ctx, tx, rows); err != nil {
		return fmt.Errorf("rederive: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rederive: commit: %w", err)
	}
	return nil
}
