package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyFresh writes rows into a rebuild's fresh PostgreSQL tables with COPY
// (pgx CopyFrom, the binary format), in one transaction: the fastest load
// PostgreSQL has, and the fresh tables have no rows to replace and no
// secondary index yet. It needs db's connections to be pgx's (pgx/stdlib),
// as every PostgreSQL database of the registry's is. counts are as for
// newBatches; the rows' contributions to the statistics are added to sums.
func copyFresh(ctx context.Context, db DB, suffix string, rows []AssetRows, counts []nominationCounts, sums countSums) error {
	if last := lastOfEach(rows); len(last) != len(rows) {
		rows, counts = last, nil
	}
	batches, contribs, err := newBatches(rows, counts)
	if err != nil {
		return err
	}
	sums.add(contribs)
	return inCopyTx(ctx, db, suffix, func(copy func(*batch) error) error {
		for _, b := range batches {
			if err := copy(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// inCopyTx runs load in one pgx transaction on a connection of db's,
// handing it a function that COPYs a batch into its table of the fresh set
// named by suffix, and commits when load returns nil.
func inCopyTx(ctx context.Context, db DB, suffix string, load func(copy func(*batch) error) error) error {
	if err := checkSuffix(suffix); err != nil {
		return err
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return fmt.Errorf("copy: connect: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy: a %T is not a pgx connection", dc)
		}
		tx, err := c.Conn().Begin(ctx)
		if err != nil {
			return fmt.Errorf("copy: begin: %w", err)
		}
		defer tx.Rollback(ctx) // after Commit, a no-op
		copy := func(b *batch) error {
			if b.n == 0 {
				return nil
			}
			names := make([]string, len(b.table.columns))
			for i, col := range b.table.columns {
				names[i] = col.name
			}
			name := b.table.name + suffix
			src := pgx.CopyFromSlice(b.n, func(i int) ([]any, error) { return b.values(i, i+1), nil })
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{name}, names, src); err != nil {
				return fmt.Errorf("copy %d rows into %s: %w", b.n, name, err)
			}
			return nil
		}
		if err := load(copy); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("copy: commit: %w", err)
		}
		return nil
	})
}
