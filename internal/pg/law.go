package pg

import (
	"context"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// FindCitations lists the legal citations by key.
func (d *DB) FindCitations(ctx context.Context) (_ []app.Citation, err error) {
	defer errs.Wrap(&err, "pg.FindCitations")
	var rows []struct {
		Key, Label, Citation string
		UpdatedAt            time.Time
	}
	if err := d.query(ctx, &rows, `SELECT key, label, citation, updated_at FROM legal_citations ORDER BY key`); err != nil {
		return nil, err
	}
	out := make([]app.Citation, len(rows))
	for i, r := range rows {
		out[i] = app.Citation{Key: r.Key, Label: r.Label, Text: r.Citation, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// SetCitation changes one citation with its audit row, in one transaction.
func (d *DB) SetCitation(ctx context.Context, key, text string, by int64, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SetCitation")
	return d.InTx(ctx, func(ctx context.Context) error {
		var old []string
		if err := d.query(ctx, &old, `SELECT citation FROM legal_citations WHERE key = ? FOR UPDATE`, key); err != nil {
			return err
		}
		if len(old) == 0 {
			return errs.E(errs.NotFound, "Không có căn cứ pháp lý %q", key)
		}
		if _, err := d.exec(ctx, `UPDATE legal_citations SET citation = ?, updated_at = ?, updated_by = ? WHERE key = ?`, text, at, by, key); err != nil {
			return err
		}
		return d.InsertAudit(ctx, by, "legal_citation_set", key, old[0]+" → "+text, at)
	})
}
