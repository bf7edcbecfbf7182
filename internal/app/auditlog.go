package app

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/internal/errs"
)

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string // username; "" for the command line
	Role    Role
	Action  string
	Subject string
	Reason  string
}

// AuditFilter narrows the audit log; empty fields match all.
type AuditFilter struct {
	Actor    string    // username
	Subject  string    // exact subject, or a tracking number / dossier code found in it
	Action   string    // an action or its prefix ("account." for every account action)
	From, To time.Time // At in [From, To)
	Province string    // actors of this province only (set from the viewer)
	BeforeID int64     // rows older than this id (paging)
	Limit    int
}

// AuditStore reads the audit log and writes its own rows.
type AuditStore interface {
	FindAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// AuditLog lets admins read the audit log: every staff action, filtered by
// actor, subject (a parcel), kind and time, and exported as CSV (the export
// is itself audited). An admin of a province sees the actions of that
// province's staff; an admin of none sees everything, the command line's
// actions too. The table itself only grows (a trigger refuses UPDATE,
// DELETE and TRUNCATE).
type AuditLog struct {
	Store AuditStore
	Now   func() time.Time
}

// Audit action of an export.
const AuditExported = "audit.exported"

// MaxAuditExport bounds one CSV export.
const MaxAuditExport = 50000

func (l *AuditLog) scope(u User, f *AuditFilter) error {
	if u.Role != RoleAdmin {
		return errs.E(errs.Forbidden, "Chỉ quản trị viên xem nhật ký kiểm tra")
	}
	f.Province = u.ProvinceCode
	f.Actor = NormalizeUsername(f.Actor)
	f.Subject = strings.TrimSpace(f.Subject)
	f.Action = strings.TrimSpace(f.Action)
	for _, s := range []string{f.Actor, f.Subject, f.Action} {
		if utf8.RuneCountInString(s) > 100 || !utf8.ValidString(s) {
			return errs.E(errs.Invalid, "Bộ lọc dài quá 100 ký tự hoặc có ký tự không dùng được")
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return errs.E(errs.Invalid, "Thời điểm kết thúc phải sau thời điểm bắt đầu").WithFields(map[string]string{"to": "Phải sau ngày bắt đầu"})
	}
	return nil
}

// List returns a page of entries, newest first (limit at most 200).
func (l *AuditLog) List(ctx context.Context, u User, f AuditFilter) ([]AuditEntry, error) {
	if err := l.scope(u, &f); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 200
	}
	return l.Store.FindAudit(ctx, f)
}

// Export returns every matching entry (at most MaxAuditExport), newest
// first, and audits the export with its filter.
func (l *AuditLog) Export(ctx context.Context, u User, f AuditFilter) ([]AuditEntry, error) {
	if err := l.scope(u, &f); err != nil {
		return nil, err
	}
	f.Limit, f.BeforeID = MaxAuditExport, 0
	rows, err := l.Store.FindAudit(ctx, f)
	if err != nil {
		return nil, err
	}
	desc := "người: " + f.Actor + "; đối tượng: " + f.Subject + "; loại: " + f.Action
	if !f.From.IsZero() {
		desc += "; từ " + f.From.Format(time.RFC3339)
	}
	if !f.To.IsZero() {
		desc += "; đến " + f.To.Format(time.RFC3339)
	}
	if err := l.Store.InsertAudit(ctx, u.ID, AuditExported, "audit_log", desc, l.Now()); err != nil {
		return nil, err
	}
	return rows, nil
}
