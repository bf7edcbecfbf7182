package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/notify"
)

// Targets finds what a notification needs of its parcel at send time.
type Targets interface {
	NotifyTarget(ctx context.Context, parcelID, office string) (app.NotifyTarget, error)
}

// NotifySender delivers the notify topic: it loads the parcel, opens its
// phone in memory (never logged, never stored in clear), builds the
// template's facts from the row's payload, and hands them to the notifier.
type NotifySender struct {
	Targets  Targets
	Open     func(sealed []byte) (string, error) // opens parcels.phone_enc
	Notifier *notify.Notifier
	BaseURL  string
}

// Send delivers one notification row.
func (s *NotifySender) Send(ctx context.Context, row app.OutboxRow) Result {
	var pl app.NotifyPayload
	if err := json.Unmarshal(row.Payload, &pl); err != nil || pl.ParcelID == "" || pl.Kind == "" {
		return Result{Err: errors.New("nội dung thông báo không đọc được"), Permanent: true, Reason: "config"}
	}
	t, err := s.Targets.NotifyTarget(ctx, pl.ParcelID, pl.Params["office"])
	if errs.Is(err, errs.NotFound) {
		return Result{Discard: true, Note: "bưu gửi không còn"}
	}
	if err != nil {
		return Result{Err: fmt.Errorf("tải bưu gửi: %w", err), Reason: "store"}
	}
	phone, err := s.Open(t.PhoneEnc)
	if err != nil {
		return Result{Err: errors.New("không mở được số điện thoại"), Permanent: true, Reason: "config"}
	}
	base := strings.TrimRight(s.BaseURL, "/")
	p := notify.Params{Kind: pl.Kind, Dossier: t.DossierCode, Number: t.Number, Desk: t.DeskName, Office: t.OfficeName, At: pl.At,
		Reason: pl.Params["reason"], Cause: pl.Params["cause"], Action: pl.Params["action"], Missing: pl.Params["missing"],
		AppointmentDate: pl.Params["appointment_date"], Partial: pl.Params["partial"] == "1"}
	if t.VisitorText {
		// Text a visitor typed (the citizen form accepts any dossier code
		// and document names) never goes into an official message: the
		// message names the parcel by its tracking number instead.
		p.Dossier, p.Missing = "", ""
	}
	p.WindowStart = parseTime(pl.Params["window_start"])
	p.WindowEnd = parseTime(pl.Params["window_end"])
	p.ETA = parseTime(pl.Params["eta"])
	p.Count, _ = strconv.Atoi(pl.Params["count"])
	p.Attempts, _ = strconv.Atoi(pl.Params["attempts"])
	p.Fee, _ = strconv.ParseInt(pl.Params["fee"], 10, 64)
	if base != "" {
		// The short form: /t/ redirects to the tracking page, and an https
		// address reads without its scheme (phones still make it a link).
		p.TrackURL = strings.TrimPrefix(base, "https://") + "/t/" + t.Number
		if rc := pl.Params["receipt_code"]; rc != "" {
			p.ReceiptURL = base + "/bien-nhan/" + rc
		}
	}
	out, err := s.Notifier.Deliver(ctx, notify.Request{ID: strconv.FormatInt(row.ID, 10), ParcelID: t.ParcelID, Phone: phone,
		PhoneHash: t.PhoneHash, Params: p, ExpiresAt: pl.ExpiresAt, Later: row.Later})
	if err != nil {
		return Result{Err: err, Permanent: notify.IsPermanent(err), Reason: notify.ReasonOf(err)}
	}
	if !out.Deferred.IsZero() {
		return Result{Defer: out.Deferred, Note: out.Note}
	}
	return Result{Skipped: out.Skipped != "", Note: out.Note}
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}
