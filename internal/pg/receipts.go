package pg

import (
	"context"
	"fmt"
	"time"

	"github.com/go-pg/pg/v10"
	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

type receiptRow struct {
	Code      string
	Kind      string
	ParcelID  string
	EventID   string
	Content   string
	Signature []byte
	KeyID     string
	SignedAt  time.Time
}

const receiptCols = `code, kind, parcel_id, event_id, content::text AS content, signature, key_id, signed_at`

func toStoredReceipt(r receiptRow) app.StoredReceipt {
	return app.StoredReceipt{Code: r.Code, Kind: tracking.ReceiptKind(r.Kind), ParcelID: r.ParcelID, EventID: r.EventID,
		Content: []byte(r.Content), Signature: r.Signature, KeyID: r.KeyID, SignedAt: r.SignedAt}
}

// InsertReceipt stores a signed receipt. A second receipt of the same kind
// for a parcel, or a code already used, is a conflict.
func (d *DB) InsertReceipt(ctx context.Context, r app.StoredReceipt) (err error) {
	defer errs.Wrap(&err, "pg.InsertReceipt")
	_, err = d.exec(ctx, `INSERT INTO receipts (code, kind, parcel_id, event_id, content, signature, key_id, signed_at)
		VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, ?)`,
		r.Code, string(r.Kind), r.ParcelID, r.EventID, string(r.Content), r.Signature, r.KeyID, r.SignedAt)
	if err != nil {
		return fmt.Errorf("insert receipt %s: %w", r.Code, err)
	}
	return nil
}

// FindReceipt finds a signed receipt by its code.
func (d *DB) FindReceipt(ctx context.Context, code string) (_ app.StoredReceipt, err error) {
	defer errs.Wrap(&err, "pg.FindReceipt")
	var r receiptRow
	if err := d.queryOne(ctx, &r, `SELECT `+receiptCols+` FROM receipts WHERE code = ?`, code); err != nil {
		return app.StoredReceipt{}, err
	}
	return toStoredReceipt(r), nil
}

// FindParcelReceipt finds a parcel's signed receipt of one kind.
func (d *DB) FindParcelReceipt(ctx context.Context, parcelID string, kind tracking.ReceiptKind) (_ app.StoredReceipt, err error) {
	defer errs.Wrap(&err, "pg.FindParcelReceipt %s", parcelID)
	var r receiptRow
	if err := d.queryOne(ctx, &r, `SELECT `+receiptCols+` FROM receipts WHERE parcel_id = ? AND kind = ?`, parcelID, string(kind)); err != nil {
		return app.StoredReceipt{}, err
	}
	return toStoredReceipt(r), nil
}

// FindParcelByReceiptCode finds the parcel a receipt code was given to at
// intake (the receipt itself exists only once the papers are collected).
func (d *DB) FindParcelByReceiptCode(ctx context.Context, code string) (_ app.Parcel, err error) {
	defer errs.Wrap(&err, "pg.FindParcelByReceiptCode")
	ps, err := d.loadParcels(ctx, `WHERE p.receipt_code = ?`, code)
	if err != nil {
		return app.Parcel{}, err
	}
	if len(ps) == 0 {
		return app.Parcel{}, errs.E(errs.NotFound, "không tìm thấy biên nhận")
	}
	return ps[0], nil
}

// EventHash returns the hash an event has in the ledger now.
func (d *DB) EventHash(ctx context.Context, eventID string) (_ []byte, err error) {
	defer errs.Wrap(&err, "pg.EventHash %s", eventID)
	if _, err := uuid.Parse(eventID); err != nil {
		return nil, errs.E(errs.NotFound, "không có sự kiện %q", eventID)
	}
	var h []byte
	if err := d.queryOne(ctx, pg.Scan(&h), `SELECT hash FROM events WHERE id = ?`, eventID); err != nil {
		return nil, err
	}
	return h, nil
}
