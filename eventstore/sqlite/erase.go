package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

var _ eventstore.Eraser = (*Store)(nil)

// Subjects implements [eventstore.Eraser.Subjects].
func (s *Store) Subjects(ctx context.Context, stream string) ([]eventstore.SubjectData, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT k.subject, k.event_id, e.version, e.type, k.fields
		FROM personal_keys k JOIN events e ON e.event_id = k.event_id
		WHERE e.stream_id = ? ORDER BY k.subject, e.version`, stream)
	if err != nil {
		return nil, fmt.Errorf("subjects of %s: %w", stream, err)
	}
	defer rows.Close()
	var out []eventstore.SubjectData
	for rows.Next() {
		var (
			d          = eventstore.SubjectData{Stream: stream}
			id, fields string
		)
		if err := rows.Scan(&d.Subject, &id, &d.Version, &d.Type, &fields); err != nil {
			return nil, fmt.Errorf("subjects of %s: %w", stream, err)
		}
		if d.EventID, err = uuid.Parse(id); err != nil {
			return nil, fmt.Errorf("subjects of %s: event id %q: %w", stream, id, err)
		}
		if err := json.Unmarshal([]byte(fields), &d.Fields); err != nil {
			return nil, fmt.Errorf("subjects of %s: fields of event %s: %w", stream, d.EventID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Erase implements [eventstore.Eraser.Erase]. It returns a zero Erasure
// with an error when nothing was erased, and the Erasure with an error
// when only the clean-up after the commit failed. The keys are deleted with
// PRAGMA secure_delete on, so SQLite overwrites their bytes with zeros
// instead of leaving them in free pages, and the WAL, which held the
// pages as they were, is checkpointed and truncated afterwards.
func (s *Store) Erase(ctx context.Context, subjects []string) (er eventstore.Erasure, err error) {
	conn, err := s.write.Conn(ctx) // the one write connection: pragmas are per connection
	if err != nil {
		return er, fmt.Errorf("erase: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return er, fmt.Errorf("erase: secure_delete: %w", err)
	}
	defer func() {
		if _, perr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA secure_delete = OFF`); perr != nil {
			err = errors.Join(err, fmt.Errorf("erase: reset secure_delete: %w", perr))
		}
	}()
	done := eventstore.Erasure{At: s.now().UTC().Truncate(time.Microsecond), Subjects: subjects}
	tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE
	if err != nil {
		return er, fmt.Errorf("erase: begin: %w", err)
	}
	defer tx.Rollback()
	for _, subject := range subjects {
		streams, err := deleteKeys(ctx, tx, subject)
		if err != nil {
			return er, fmt.Errorf("erase: %w", err)
		}
		destroyed := len(streams) // one row per key
		slices.Sort(streams)
		streams = slices.Compact(streams)
		listed, _ := json.Marshal(streams)
		if _, err := tx.ExecContext(ctx, `INSERT INTO erasures (erased_at, subject_kind, subject_sha256, keys_destroyed, streams)
			VALUES (?, ?, ?, ?, ?)`, done.At.UnixMicro(), eventstore.SubjectKind(subject), eventstore.SubjectDigest(subject),
			destroyed, string(listed)); err != nil {
			return er, fmt.Errorf("erase: record: %w", err)
		}
		done.Keys += int64(destroyed)
		done.Streams = append(done.Streams, streams...)
	}
	if err := tx.Commit(); err != nil {
		return er, fmt.Errorf("erase: commit: %w", err)
	}
	slices.Sort(done.Streams)
	er = done
	er.Streams = slices.Compact(er.Streams)
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return er, fmt.Errorf("erase: the keys are deleted, but the WAL checkpoint failed: %w", err)
	}
	return er, nil
}

// deleteKeys deletes the keys of subject and returns the stream of each.
func deleteKeys(ctx context.Context, tx *sql.Tx, subject string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM personal_keys WHERE subject = ? RETURNING stream_id`, subject)
	if err != nil {
		return nil, fmt.Errorf("delete keys: %w", err)
	}
	defer rows.Close()
	var streams []string
	for rows.Next() {
		var st string
		if err := rows.Scan(&st); err != nil {
			return nil, fmt.Errorf("delete keys: %w", err)
		}
		streams = append(streams, st)
	}
	return streams, rows.Err()
}
