package projections

import (
	"context"
	"database/sql"
	"fmt"
	fastjson "github.com/segmentio/encoding/json"
	"log/slog"
	"strings"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// ConsumerName is the read models' consumer group. Its offset is the read
// models' checkpoint: the position they have caught up to.
const ConsumerName = "read_models"

// Projector keeps the read models up to date with the log. It is a
// [messaging.Consumer]: for each event of an asset it re-derives the
// asset's rows from the asset's whole stream and writes them through the
// consumer's transaction, so the rows and the offset commit together.
// Because rows are always derived from the whole history, handling an
// event twice (a replay), or after a rebuild has swapped in fresh tables,
// gives the same rows.
type Projector struct {
	store   eventstore.Store
	db      DB
	regimes domain.Regimes
	log     *slog.Logger
}

var _ messaging.Consumer = (*Projector)(nil)

// NewProjector returns a projector from store into db.
func NewProjector(store eventstore.Store, db DB, regimes domain.Regimes, log *slog.Logger) *Projector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Projector{store: store, db: db, regimes: regimes, log: log}
}

// Name implements [messaging.Consumer].
func (p *Projector) Name() string { return ConsumerName }

// layoutColumn is the register's column that came with the current layout
// of the read models: live tables without it are rebuilt by
// [Projector.Migrate]. A change to the tables' columns or indexes names a
// column of its own here. History: reach_back (keyset and text search
// indexes), outward (postcode, outward code, status and spatial indexes).
const layoutColumn = "outward"

// Migrate creates the read-model tables and the consumers' offsets table
// if they do not exist. Tables a rebuild swapped in keep their own index
// names, so once rm_assets exists nothing more is created, unless the live
// tables are of an earlier layout (rm_register without outward, before
// the register's keyset, text search, postcode, status and spatial
// indexes, see [layoutColumn]; no rm_counts, before the statistics were
// counted as rows are written; a table of [earlierTables] beside them,
// before SQLite's spatial index was one of the register's): then Migrate
// rebuilds them from the log, into fresh tables swapped in as [Rebuild]
// does, before it returns. The old tables serve until the swap.
func (p *Projector) Migrate(ctx context.Context) error {
	outdated, err := p.Prepare(ctx)
	if err != nil || !outdated {
		return err
	}
	p.log.Info("read models: the live tables are of an earlier layout; rebuilding them from the log")
	end, err := Rebuild(ctx, p.store, p.db, p.regimes, nil)
	if err != nil {
		return fmt.Errorf("read models: upgrade the tables' layout: %w", err)
	}
	p.log.Info("read models: rebuilt", slog.Int64("position", end))
	return nil
}

// Prepare is [Projector.Migrate] without the rebuild: it creates what does
// not exist and says whether the live tables are of an earlier layout. A
// caller about to rebuild (acv rebuild) calls it instead of Migrate, so
// that an upgraded registry is rebuilt once, not twice.
func (p *Projector) Prepare(ctx context.Context) (outdated bool, err error) {
	if err := messaging.Migrate(ctx, p.db.SQL, p.db.Dialect); err != nil {
		return false, err
	}
	err = messaging.InTx(ctx, p.db.SQL, p.db.Dialect, "read-models", func(tx *sql.Tx) error {
		outdated = false // as of this attempt
		if err := migrateOrganisations(ctx, tx); err != nil {
			return err
		}
		exists, err := tableExists(ctx, tx, p.db.Dialect, tableAssets)
		if err != nil {
			return err
		}
		if !exists {
			return p.createMissing(ctx, tx)
		}
		current, err := columnExists(ctx, tx, p.db.Dialect, tableRegister, layoutColumn)
		if err != nil || !current {
			outdated = true
			return err
		}
		// Both halves of the counts: a set rebuilt by an earlier binary
		// after them has rm_assets without its column beside a stale
		// rm_counts.
		counted, err := tableExists(ctx, tx, p.db.Dialect, tableCounts)
		if err != nil || !counted {
			outdated = true
			return err
		}
		counted, err = columnExists(ctx, tx, p.db.Dialect, tableAssets, countsColumn)
		if err != nil || !counted {
			outdated = true
			return err
		}
		// A table of an earlier layout still live: SQLite's R*Tree, before
		// the register's index on cells.
		for _, t := range earlierTables[p.db.Dialect] {
			if outdated, err = tableExists(ctx, tx, p.db.Dialect, t); err != nil || outdated {
				return err
			}
		}
		return nil
	})
	return outdated, err
}

// createMissing creates the read models where there are none: in a new
// registry, or in a state file an operator removed, or that an upgrade
// moved the state into without them (sqlite.Store.OpenState). Their
// offset, if there is one, is of tables that are gone: it goes back to 0,
// and the projector derives them from the whole log.
func (p *Projector) createMissing(ctx context.Context, tx *sql.Tx) error {
	if err := CreateTables(ctx, tx, p.db.Dialect, ""); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, p.db.Dialect.Rebind(`DELETE FROM `+messaging.OffsetsTable+` WHERE name = ?`), ConsumerName); err != nil {
		return fmt.Errorf("read models: reset their offset: %w", err)
	}
	return nil
}

// Handle implements [messaging.Consumer]. An event whose asset's rows
// already show its version (derived when an earlier event of the same
// batch was handled, from a stream read that included it) costs one
// lookup.
func (p *Projector) Handle(ctx context.Context, tx messaging.Tx, e eventstore.Event) error {
	id, ok := AssetID(e.Stream)
	if !ok {
		if org, ok := OrganisationStreamID(e.Stream); ok {
			return p.handleOrganisation(ctx, tx, org)
		}
		return nil
	}
	shown, err := p.shownVersion(ctx, tx, id)
	if err != nil {
		return err
	}
	if shown >= e.Version {
		return nil
	}
	// The rows hold no personal data, so they are the same whether its
	// sealed values are opened or not (TestRowsHoldNoPersonalData): the
	// history is read as erased, with no key read or used.
	stored, err := p.store.ReadStream(ctx, domain.AssetStream(id), 1, eventstore.AsErased)
	if err != nil {
		return fmt.Errorf("projector: %w", err)
	}
	history, err := Decode(stored)
	if err != nil {
		return fmt.Errorf("projector: asset %s: %w", id, err)
	}
	rows := derive(id, p.regimes, history, withTables)
	if err := (Writer{Dialect: p.db.Dialect}).Replace(ctx, tx, []AssetRows{rows}); err != nil {
		return fmt.Errorf("projector: write asset %s: %w", id, err)
	}
	return nil
}

// shownVersion is the stream version the asset's rows were derived from,
// 0 when it has none.
func (p *Projector) shownVersion(ctx context.Context, tx messaging.Tx, id string) (int64, error) {
	v, err := messaging.QueryInt64(ctx, tx, p.db.Dialect.Rebind(`SELECT version FROM `+tableAssets+` WHERE asset_id = ?`), id)
	if err != nil {
		return 0, fmt.Errorf("projector: read version of %s: %w", id, err)
	}
	return v, nil
}

// AssetID returns the asset id of an asset stream (asset-<id>).
func AssetID(stream string) (string, bool) {
	return strings.CutPrefix(stream, "asset-")
}

// Decode turns stored events into the input of [Derive]. It decodes the
// payloads with segmentio/encoding's json, which decodes as encoding/json
// does in a quarter of the time: a rebuild decodes the whole log
// (TestDecodeAgreesWithEncodingJSON; docs/performance.md).
func Decode(stored []eventstore.Event) ([]Recorded, error) {
	out := make([]Recorded, len(stored))
	for i, e := range stored {
		ev, err := domain.UnmarshalEventWith(fastjson.Unmarshal, e.Type, e.Data)
		if err != nil {
			return nil, fmt.Errorf("version %d: %w", e.Version, err)
		}
		out[i] = Recorded{Event: ev, Type: e.Type, Version: e.Version, Position: e.Position, RecordedAt: e.RecordedAt,
			Effective: e.Metadata.EffectiveDate, ActorRole: e.Metadata.Actor.Role, ActorOrg: e.Metadata.Actor.Org,
			Regime: e.Metadata.Regime}
	}
	return out, nil
}

func tableExists(ctx context.Context, q messaging.Querier, d Dialect, name string) (bool, error) {
	query := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if d == Postgres {
		query = `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1`
	}
	var n int
	if err := q.QueryRowContext(ctx, query, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}

func columnExists(ctx context.Context, q messaging.Querier, d Dialect, table, column string) (bool, error) {
	query := `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`
	if d == Postgres {
		query = `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema()
			AND table_name = $1 AND column_name = $2`
	}
	var n int
	if err := q.QueryRowContext(ctx, query, table, column).Scan(&n); err != nil {
		return false, fmt.Errorf("look for column %s.%s: %w", table, column, err)
	}
	return n > 0, nil
}
