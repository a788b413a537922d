package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

var _ eventstore.Eraser = (*Store)(nil)

// Subjects implements [eventstore.Eraser.Subjects].
func (s *Store) Subjects(ctx context.Context, stream string) ([]eventstore.SubjectData, error) {
	rows, err := s.pool.Query(ctx, `SELECT k.subject, k.event_id, e.version, e.type, k.fields
		FROM personal_keys k JOIN events e ON e.event_id = k.event_id
		WHERE e.stream_id = $1 ORDER BY k.subject, e.version`, stream)
	if err != nil {
		return nil, fmt.Errorf("subjects of %s: %w", stream, safe(err))
	}
	defer rows.Close()
	var out []eventstore.SubjectData
	for rows.Next() {
		var (
			d      = eventstore.SubjectData{Stream: stream}
			id     [16]byte
			fields string
		)
		if err := rows.Scan(&d.Subject, &id, &d.Version, &d.Type, &fields); err != nil {
			return nil, fmt.Errorf("subjects of %s: %w", stream, safe(err))
		}
		d.EventID = uuid.UUID(id)
		if err := json.Unmarshal([]byte(fields), &d.Fields); err != nil {
			return nil, fmt.Errorf("subjects of %s: fields of event %s: %w", stream, d.EventID, err)
		}
		out = append(out, d)
	}
	return out, safe(rows.Err())
}

// Erase implements [eventstore.Eraser.Erase]. It returns a zero Erasure
// with an error when nothing was erased. After the transaction it
// runs VACUUM on personal_keys, so the deleted rows' space (and the key
// bytes in it) is reclaimed as soon as no older snapshot needs it; a
// failed VACUUM is returned after the erasure, which stands.
func (s *Store) Erase(ctx context.Context, subjects []string) (eventstore.Erasure, error) {
	er := eventstore.Erasure{At: s.now().UTC().Truncate(time.Microsecond), Subjects: subjects}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, subject := range subjects {
			rows, err := tx.Query(ctx, `DELETE FROM personal_keys WHERE subject = $1 RETURNING stream_id`, subject)
			if err != nil {
				return err
			}
			streams, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			destroyed := len(streams) // one row per key
			slices.Sort(streams)
			streams = slices.Compact(streams)
			listed, _ := json.Marshal(streams)
			if _, err := tx.Exec(ctx, `INSERT INTO erasures (erased_at, subject_kind, subject_sha256, keys_destroyed, streams)
				VALUES ($1, $2, $3, $4, $5)`, er.At, eventstore.SubjectKind(subject), eventstore.SubjectDigest(subject),
				destroyed, string(listed)); err != nil {
				return err
			}
			er.Keys += int64(destroyed)
			er.Streams = append(er.Streams, streams...)
		}
		return nil
	})
	if err != nil {
		return eventstore.Erasure{}, fmt.Errorf("erase: %w", safe(err))
	}
	slices.Sort(er.Streams)
	er.Streams = slices.Compact(er.Streams)
	if _, err := s.pool.Exec(ctx, `VACUUM personal_keys`); err != nil {
		return er, fmt.Errorf("erase: the keys are deleted, but VACUUM personal_keys failed (run it by hand): %w", safe(err))
	}
	return er, nil
}
