package pg_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/pg/pgtest"
)

// TestStoreErrorsSayWhereAndKeepTheirKind: a store method's error names the
// method and its key, still answers errs.Is with its kind (NotFound,
// Conflict, Invalid from a check), and never carries what a caller typed
// that may be personal (a username, an idempotency key).
func TestStoreErrorsSayWhereAndKeepTheirKind(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	now := time.Now()
	tests := []struct {
		name   string
		run    func() error
		kind   errs.Kind
		want   string
		secret string
	}{
		{"parcel not found", func() error {
			_, err := db.FindParcel(ctx, "7b0cbbf4-8f2e-4b7e-9a57-2d2cfa0f4f11")
			return err
		}, errs.NotFound, "pg.FindParcel 7b0cbbf4-8f2e-4b7e-9a57-2d2cfa0f4f11", ""},
		{"office not found", func() error {
			_, err := db.FindOffice(ctx, "BC-KHONG-CO")
			return err
		}, errs.NotFound, "pg.FindOffice BC-KHONG-CO", ""},
		{"username never echoed", func() error {
			_, err := db.FindUserByUsername(ctx, "0912345678")
			return err
		}, errs.NotFound, "pg.FindUserByUsername", "0912345678"},
		{"portal client twice", func() error {
			c := app.PortalClient{ID: "dvc-twice", ProvinceCode: "19", SecretEnc: []byte{1}, Active: true, CreatedAt: now}
			if err := db.CreatePortalClient(ctx, c); err != nil {
				return err
			}
			return db.CreatePortalClient(ctx, c)
		}, errs.Conflict, "pg.CreatePortalClient dvc-twice", ""},
		{"idempotency key never echoed", func() error {
			_, _, err := db.FindIdem(ctx, "portal:khong-co", "0912345678")
			if err == nil {
				// Found nothing is not an error: make one with a closed context.
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				_, _, err = db.FindIdem(cctx, "portal:khong-co", "0912345678")
			}
			return err
		}, errs.Unavailable, "pg.FindIdem portal:khong-co", "0912345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil {
				t.Fatal("no error")
			}
			if !errs.Is(err, tt.kind) {
				t.Errorf("kind %s, want %s: %v", errs.KindOf(err), tt.kind, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%q does not say %q", err, tt.want)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("%q carries %q", err, tt.secret)
			}
		})
	}
}
