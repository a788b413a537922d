package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// The organisations directory: one row per organisation (councils,
// community groups, owners), kept by the [Projector] in the same
// transaction as the read models' offset, so ?min_position= covers it.
// Like an asset's rows, a row is derived from the organisation's whole
// stream, so replays are harmless. The table is not one of the sets a
// rebuild swaps: a rebuild re-derives the row of every organisation it
// reads, before it moves the offset past their events
// (refreshOrganisations).

// tableOrganisations is the directory's table.
const tableOrganisations = "rm_organisations"

// OrganisationStreamID returns the organisation id of an organisation
// stream ("organisation-<id>").
func OrganisationStreamID(stream string) (string, bool) {
	return strings.CutPrefix(stream, domain.OrganisationStream(""))
}

// OrganisationView is an organisation as the public sees it: every field
// the registry records of an organisation is public.
type OrganisationView struct {
	ID      string                  `json:"id"`
	Kind    domain.OrganisationKind `json:"kind"`
	Version int64                   `json:"version"`
	domain.OrganisationDetails
}

// ViewOfOrganisation returns o's public view.
func ViewOfOrganisation(o *domain.Organisation) OrganisationView {
	return OrganisationView{ID: o.ID(), Kind: o.Kind(), Version: o.Version(), OrganisationDetails: o.Details()}
}

// migrateOrganisations creates the directory's table if it does not exist.
func migrateOrganisations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+tableOrganisations+` (
		id      TEXT PRIMARY KEY,
		kind    TEXT NOT NULL,
		name    TEXT NOT NULL,
		version BIGINT NOT NULL,
		view    TEXT NOT NULL)`)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", tableOrganisations, err)
	}
	return nil
}

// handleOrganisation re-derives the directory row of organisation id from
// its whole stream.
func (p *Projector) handleOrganisation(ctx context.Context, tx messaging.Tx, id string) error {
	return writeOrganisation(ctx, p.store, p.db.Dialect, tx, id)
}

// refreshOrganisations re-derives the directory rows of ids, for a
// rebuild: it moves the read models' offset past events the projector has
// not handled, so the organisations among them are written here. A row is
// only ever replaced by a later version, so racing the projector is
// harmless.
func refreshOrganisations(ctx context.Context, store eventstore.Store, db DB, ids map[string]bool) error {
	for id := range ids {
		if err := writeOrganisation(ctx, store, db.Dialect, db.SQL, id); err != nil {
			return fmt.Errorf("rebuild: %w", err)
		}
	}
	return nil
}

// writeOrganisation writes the directory row of organisation id, derived
// from its whole stream, through ex.
func writeOrganisation(ctx context.Context, store eventstore.Store, d Dialect, ex Execer, id string) error {
	stored, err := store.ReadStream(ctx, domain.OrganisationStream(id), 1, eventstore.Opened)
	if err != nil {
		return fmt.Errorf("projector: organisation %s: %w", id, err)
	}
	history, err := eventstore.DecodeOrganisation(stored)
	if err != nil {
		return fmt.Errorf("projector: organisation %s: %w", id, err)
	}
	o := domain.RebuildOrganisation(id, history)
	if !o.Registered() {
		return nil
	}
	view, err := json.Marshal(ViewOfOrganisation(o))
	if err != nil {
		return fmt.Errorf("projector: organisation %s: %w", id, err)
	}
	_, err = ex.ExecContext(ctx, d.Rebind(`INSERT INTO `+tableOrganisations+` (id, kind, name, version, view)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, version = excluded.version, view = excluded.view
		WHERE `+tableOrganisations+`.version < excluded.version`), id, string(o.Kind()), o.Name(), o.Version(), string(view))
	if err != nil {
		return fmt.Errorf("projector: write organisation %s: %w", id, err)
	}
	return nil
}

// cursorOrganisations is the cursor kind of the organisations listing.
const cursorOrganisations = "organisations"

// Organisations returns a page of the directory in id order, only those of
// kind unless it is empty. A bad cursor is a *domain.ValidationError.
func (q *Queries) Organisations(ctx context.Context, kind domain.OrganisationKind, page PageRequest) (Page[OrganisationView], error) {
	c, after, err := parseCursor(page.Cursor, cursorOrganisations, 1, 0)
	if err != nil {
		return Page[OrganisationView]{}, fmt.Errorf("organisations: %w", err)
	}
	limit := pageLimit(page)
	query, args := `SELECT id, view FROM `+tableOrganisations+` WHERE 1 = 1`, []any{}
	if kind != "" {
		query += ` AND kind = ?`
		args = append(args, string(kind))
	}
	if after {
		query += ` AND id > ?`
		args = append(args, c.Text[0])
	}
	query += ` ORDER BY id LIMIT ?`
	args = append(args, limit+1)
	rows, err := q.DB.SQL.QueryContext(ctx, q.DB.Dialect.Rebind(query), args...)
	if err != nil {
		return Page[OrganisationView]{}, fmt.Errorf("organisations: %w", err)
	}
	defer rows.Close()
	var (
		items []OrganisationView
		keys  []cursor
	)
	for rows.Next() {
		var (
			id   string
			view []byte
		)
		if err := rows.Scan(&id, &view); err != nil {
			return Page[OrganisationView]{}, fmt.Errorf("organisations: %w", err)
		}
		var v OrganisationView
		if err := json.Unmarshal(view, &v); err != nil {
			return Page[OrganisationView]{}, fmt.Errorf("organisations: decode %s: %w", id, err)
		}
		items = append(items, v)
		keys = append(keys, cursor{Kind: cursorOrganisations, Text: []string{id}, Nums: []int64{}})
	}
	if err := rows.Err(); err != nil {
		return Page[OrganisationView]{}, fmt.Errorf("organisations: %w", err)
	}
	return pageOf(items, keys, limit), nil
}

// OrganisationNames returns the public names of those of ids the directory
// holds, by id.
func (q *Queries) OrganisationNames(ctx context.Context, ids []string) (map[string]string, error) {
	names := map[string]string{}
	if len(ids) == 0 {
		return names, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	query := `SELECT id, name FROM ` + tableOrganisations + ` WHERE id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
	rows, err := q.DB.SQL.QueryContext(ctx, q.DB.Dialect.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("organisation names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("organisation names: %w", err)
		}
		names[id] = name
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("organisation names: %w", err)
	}
	return names, nil
}
