package app

import (
	"context"
	"crypto/sha256"
	"strings"
	"time"

	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/tracking"
)

// TrackingProofStore is what the public timeline's proof needs.
type TrackingProofStore interface {
	FindParcelByNumber(ctx context.Context, number string) (Parcel, error)
	FindReceipt(ctx context.Context, code string) (StoredReceipt, error)
	AddToCounter(ctx context.Context, scope string, key []byte, day time.Time, limit int) (int, bool, error)
	CounterValue(ctx context.Context, scope string, key []byte, day time.Time) (int, error)
}

// TrackingProof checks what a visitor gives to see a parcel's details on
// the public timeline (procedure, dossier code, name initials, dates):
// something only the citizen has, the last four digits of their phone or
// the code of one of the parcel's receipts. Wrong proofs are counted per
// parcel and day by every instance together; past the limit the parcel's
// details stay closed until the next day, whoever asks.
type TrackingProof struct {
	Store  TrackingProofStore
	Box    *secret.Box
	Now    func() time.Time
	Zone   *time.Location
	PerDay int // wrong proofs per parcel per day (default 20)
}

// ProofDigits is how many last digits of the phone prove a parcel.
const ProofDigits = 4

const scopeTrackProof = "track_proof"

func (t *TrackingProof) perDay() int {
	if t.PerDay <= 0 {
		return 20
	}
	return t.PerDay
}

func wrongProof() error {
	return errs.E(errs.Invalid, "Thông tin xác minh không khớp với hồ sơ này").
		WithFields(map[string]string{"proof": "Kiểm tra lại 4 số cuối điện thoại hoặc mã giấy biên nhận"})
}

// Check reports whether phoneLast4 or receiptCode proves number: nil when
// it does, invalid when it does not, rate limited when the parcel had too
// many wrong proofs today, not found for an unknown number.
func (t *TrackingProof) Check(ctx context.Context, number, phoneLast4, receiptCode string) error {
	phoneLast4, receiptCode = strings.TrimSpace(phoneLast4), strings.TrimSpace(receiptCode)
	if phoneLast4 == "" && receiptCode == "" {
		return errs.E(errs.Invalid, "Nhập 4 số cuối điện thoại hoặc mã giấy biên nhận").
			WithFields(map[string]string{"proof": "Nhập 4 số cuối điện thoại hoặc mã giấy biên nhận"})
	}
	p, err := t.Store.FindParcelByNumber(ctx, number)
	if err != nil {
		return err
	}
	day := t.Now().In(t.Zone)
	key := sha256.Sum256([]byte(p.ID))
	n, err := t.Store.CounterValue(ctx, scopeTrackProof, key[:], day)
	if err != nil {
		return err
	}
	if n >= t.perDay() {
		return errs.Wrapf(errs.RateLimited, &RetryAfter{Wait: time.Hour},
			"Hồ sơ này đã bị nhập sai thông tin xác minh quá nhiều lần hôm nay. Chi tiết sẽ mở lại vào ngày mai; trạng thái vẫn xem được.")
	}
	ok, err := t.matches(ctx, p, phoneLast4, receiptCode)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	if _, _, err := t.Store.AddToCounter(ctx, scopeTrackProof, key[:], day, t.perDay()); err != nil {
		return err
	}
	return wrongProof()
}

func (t *TrackingProof) matches(ctx context.Context, p Parcel, last4, code string) (bool, error) {
	if last4 != "" {
		if len(last4) != ProofDigits || strings.Trim(last4, "0123456789") != "" || len(p.PhoneEnc) == 0 {
			return false, nil
		}
		b, err := t.Box.Open(p.PhoneEnc, []byte(SealPhone))
		if err != nil {
			return false, errs.Wrapf(errs.Internal, err, "mở số điện thoại")
		}
		phone := string(b)
		return len(phone) >= ProofDigits && secret.Equal([]byte(phone[len(phone)-ProofDigits:]), []byte(last4)), nil
	}
	c, ok := tracking.ParseReceiptCode(code)
	if !ok {
		return false, nil
	}
	if p.ReceiptCode != "" && secret.Equal([]byte(p.ReceiptCode), []byte(c)) {
		return true, nil
	}
	r, err := t.Store.FindReceipt(ctx, c)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return r.ParcelID == p.ID, nil
}
