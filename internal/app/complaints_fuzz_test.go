package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/pg/pgtest"
	"hoso/internal/secret"
	"hoso/internal/units"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// FuzzComplaintAnswer: whatever staff type, an answer is refused as
// invalid (or a conflict, for the same text twice), or stored as valid
// UTF-8 in form C, without control characters, 5 to 2000 characters, with
// its audit row. It runs on PostgreSQL (pgtest): one database per fuzzing
// process, set up once with an office, its user and one parcel; each input
// answers a fresh open complaint on that parcel, which is closed after, so
// an input costs a few statements, not a database.
func FuzzComplaintAnswer(f *testing.F) {
	for _, s := range []string{"Bưu tá sẽ đến sáng mai", "", "ok", "\xff\xfe", "a\x00b", "Tiếng Việt", strings.Repeat("đ", 2001), "  cách  \n dòng  "} {
		f.Add(s)
	}
	db, _ := pgtest.New(f)
	ctx := context.Background()
	set, err := units.Load()
	if err != nil {
		f.Fatal(err)
	}
	box, _ := secret.NewBox(bytes.Repeat([]byte{1}, 32))
	hasher, _ := secret.NewHasher(bytes.Repeat([]byte{2}, 32))
	all := [7]bool{true, true, true, true, true, true, true}
	svc := app.NewServices(app.Wiring{Store: db, Units: set, Box: box, Hasher: hasher, Now: time.Now, NewID: uuid.NewString, Zone: ict,
		S10:   app.S10Config{Pickup: "EA", Return: "EB", Country: "VN"},
		Hours: tracking.ServiceHours{Start: 0, End: 24 * time.Hour, Days: all, Zone: ict}})
	if err := db.UpsertDesk(ctx, app.Desk{Code: "TN-TTPVHCC", Name: "Trung tâm", Level: "province", CommuneCode: "05443", ProvinceCode: "19"}); err != nil {
		f.Fatal(err)
	}
	if err := db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05443", Name: "Bưu cục Phan Đình Phùng", CommuneCode: "05443", ProvinceCode: "19",
		Lat: 21.5887, Lng: 105.8338}); err != nil {
		f.Fatal(err)
	}
	staff, err := svc.Auth.CreateUser(ctx, app.NewUser{Username: "buucuc", Password: "mat-khau-buucuc", FullName: "Nhân viên bưu cục",
		Role: app.RoleOffice, OfficeCode: "BC-05443"})
	if err != nil {
		f.Fatal(err)
	}
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	p, err := svc.Intake.Create(ctx, tracking.PickupRequest{
		Dossier:   tracking.Dossier{Code: "000.00.19.FUZZ-1", DeskCode: "TN-TTPVHCC"},
		Citizen:   tracking.Citizen{FullName: "Nguyễn Văn A", Phone: "0912345678"},
		Address:   tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: "Số 1"},
		Documents: []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}},
		Windows:   []tracking.Window{{Start: start, End: start.Add(2 * time.Hour)}},
		Channel:   tracking.ChannelCitizen,
	})
	if err != nil {
		f.Fatal(err)
	}
	office := tracking.Party{Kind: tracking.PartyOffice, Ref: "BC-05443"}
	count := func(t *testing.T, q string, args ...any) int {
		t.Helper()
		n, err := db.CountForTest(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.Fuzz(func(t *testing.T, body string) {
		now := time.Now()
		due := now.Add(48 * time.Hour)
		id, created, err := db.CreateIncident(ctx, app.Incident{ID: uuid.NewString(), ParcelID: p.ID, Kind: app.IncidentComplaint,
			Problem: app.ComplaintNoShow, LastCustodian: office, Route: office, Status: "open", CreatedAt: now, DueAt: &due})
		if err != nil || !created {
			t.Fatalf("complaint: %v (created %v)", err, created)
		}
		defer func() {
			if err := db.CloseIncident(ctx, id, "resolved", "fuzz", staff.ID, time.Now()); err != nil && !errs.Is(err, errs.Conflict) {
				t.Fatal(err)
			}
		}()
		audited := count(t, `SELECT count(*) FROM audit_log WHERE action = ?`, app.AuditComplaintAnswered)
		err = svc.Cases.Answer(ctx, staff, id, body, false)
		rows, qerr := db.PairsForTest(ctx, `SELECT body, '' FROM complaint_answers WHERE incident_id = ?::uuid`, id)
		if qerr != nil {
			t.Fatal(qerr)
		}
		bodies := make([]string, len(rows))
		for i, r := range rows {
			bodies[i] = r[0]
		}
		newAudit := count(t, `SELECT count(*) FROM audit_log WHERE action = ?`, app.AuditComplaintAnswered) - audited
		if err != nil {
			if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
				t.Fatalf("answer %q: %v", body, err)
			}
			if len(bodies) != 0 || newAudit != 0 {
				t.Fatalf("a refused answer was stored (%d answers, %d audit rows)", len(bodies), newAudit)
			}
			return
		}
		if len(bodies) != 1 || newAudit != 1 {
			t.Fatalf("%d answers stored, %d audit rows", len(bodies), newAudit)
		}
		got := bodies[0]
		n := utf8.RuneCountInString(got)
		if !utf8.ValidString(got) || !norm.NFC.IsNormalString(got) || vntext.HasControl(got) || n < 5 || n > app.MaxComplaintAnswer {
			t.Errorf("stored %q", got)
		}
	})
}
