package pg_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/tracking"
)

// retentionNow is the fixed clock of the retention tests: 19:00 in Vietnam.
var retentionNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

type retentionFixture struct {
	db     *pg.DB
	userID int64
	serial int
}

func newRetentionFixture(t *testing.T) *retentionFixture {
	t.Helper()
	db, _ := pgtest.New(t)
	ctx := context.Background()
	if err := db.UpsertDesk(ctx, app.Desk{Code: "TN-TTPVHCC", Name: "Trung tâm", Level: "province", CommuneCode: "05443", ProvinceCode: "19"}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05443", Name: "Bưu cục Phan Đình Phùng", CommuneCode: "05443", ProvinceCode: "19", Lat: 21.5887, Lng: 105.8338}); err != nil {
		t.Fatal(err)
	}
	u := app.User{Username: "buuta1", Role: app.RoleCourier, StaffCode: "BUUTA1", OfficeCode: "BC-05443", ProvinceCode: "19",
		PasswordHash: "x", Active: true, CreatedAt: time.Now()}
	id, err := db.CreateUser(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	return &retentionFixture{db: db, userID: id.ID}
}

func (f *retentionFixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if err := f.db.ExecForTest(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (f *retentionFixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	n, err := f.db.CountForTest(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// dossier makes a dossier; returnByPost says whether the result goes back
// by post.
func (f *retentionFixture) dossier(t *testing.T, returnByPost bool) string {
	t.Helper()
	f.serial++
	id, err := f.db.UpsertDossier(context.Background(), "", tracking.Dossier{Code: fmt.Sprintf("HS-RET-%d", f.serial), DeskCode: "TN-TTPVHCC",
		ReturnByPost: returnByPost}, false, retentionNow.AddDate(-3, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// parcel makes a parcel of a dossier in a status reached at since.
func (f *retentionFixture) parcel(t *testing.T, dossier string, leg tracking.Leg, status tracking.Status, since time.Time, returnOf string) string {
	t.Helper()
	f.serial++
	letters := "EA"
	if leg == "return" {
		letters = "EB"
	}
	created := since.Add(-48 * time.Hour)
	p := app.Parcel{ID: uuid.NewString(), Number: fmt.Sprintf("%s%09dVN", letters, 100000000+f.serial), Leg: leg, Status: status,
		Channel: tracking.ChannelCitizen, DossierID: dossier, CitizenName: "Nguyễn Thị Đào", PhoneEnc: []byte("sealed-phone"), PhoneLast3: "678",
		IDLast3: "321", ProvinceCode: "19", CommuneCode: "05443", AddressLine: "Số 12 ngõ 34 đường Lương Ngọc Quyến", Lat: 21.59, Lng: 105.84,
		DeskCode: "TN-TTPVHCC", OfficeCode: "BC-05443", ReturnOf: returnOf, CreatedAt: created, UpdatedAt: since}
	if err := f.db.InsertParcel(context.Background(), p, []byte("phone-hash"), []byte("id-hash")); err != nil {
		t.Fatal(err)
	}
	f.exec(t, `UPDATE parcels SET status_since = ? WHERE id = ?`, since, p.ID)
	return p.ID
}

// erased reports whether a parcel's personal data was erased, and checks
// that a parcel holds either all its data or exactly what the ledger needs.
func (f *retentionFixture) erased(t *testing.T, id string) bool {
	t.Helper()
	kept := f.count(t, `SELECT count(*) FROM parcels WHERE id = ? AND erased_at IS NULL AND citizen_name = 'Nguyễn Thị Đào'
		AND phone_enc = 'sealed-phone' AND phone_hash = 'phone-hash' AND address_line <> ''`, id)
	gone := f.count(t, `SELECT count(*) FROM parcels WHERE id = ? AND erased_at = ? AND citizen_name = 'N. T. Đ.'
		AND phone_enc = '' AND phone_hash = '' AND address_line = ''`, id, retentionNow)
	if kept+gone != 1 {
		t.Fatalf("parcel %s is neither intact nor erased to initials, no phone, no address line", id)
	}
	// What section 4 keeps stays either way.
	if n := f.count(t, `SELECT count(*) FROM parcels WHERE id = ? AND phone_last3 = '678' AND id_last3 = '321' AND id_hash = 'id-hash'
		AND tracking_number <> '' AND lat = 21.59`, id); n != 1 {
		t.Errorf("parcel %s lost what section 4 keeps", id)
	}
	return gone == 1
}

func TestRetainErasesParcelsWhoseJourneyEnded(t *testing.T) {
	f := newRetentionFixture(t)
	policy := app.DefaultRetention(config.Vietnam)
	past := retentionNow.Add(-policy.ParcelAfterEnd - time.Minute)
	inside := retentionNow.Add(-policy.ParcelAfterEnd + time.Minute)
	type want struct {
		id     string
		erased bool
	}
	tests := []struct {
		name  string
		setup func(t *testing.T) []want
	}{
		{"return delivered, past the limit", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, true), "return", "delivered", past, ""), true}}
		}},
		{"return delivered, inside the limit", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, true), "return", "delivered", inside, ""), false}}
		}},
		{"return returned to the desk, past", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, true), "return", "returned_to_desk", past, ""), true}}
		}},
		{"return still held at the office, long ago", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, true), "return", "held", past, ""), false}}
		}},
		{"pickup cancelled, past", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, true), "pickup", "cancelled", past, ""), true}}
		}},
		{"pickup cancelled, inside", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, true), "pickup", "cancelled", inside, ""), false}}
		}},
		{"pickup returned incomplete, past", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, true), "pickup", "returned_incomplete", past, ""), true}}
		}},
		{"pickup requested long ago (not ended)", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, true), "pickup", "requested", past, ""), false}}
		}},
		{"pickup accepted, result collected at the desk, past", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, false), "pickup", "accepted", past, ""), true}}
		}},
		{"pickup accepted, result collected at the desk, inside", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, false), "pickup", "accepted", inside, ""), false}}
		}},
		{"pickup accepted, return by post not made yet", func(t *testing.T) []want {
			return []want{{f.parcel(t, f.dossier(t, true), "pickup", "accepted", past, ""), false}}
		}},
		{"pickup accepted, return leg delivered past", func(t *testing.T) []want {
			d := f.dossier(t, true)
			p := f.parcel(t, d, "pickup", "accepted", past.Add(-30*24*time.Hour), "")
			r := f.parcel(t, d, "return", "delivered", past, p)
			return []want{{p, true}, {r, true}}
		}},
		{"pickup accepted, return leg delivered inside", func(t *testing.T) []want {
			d := f.dossier(t, true)
			p := f.parcel(t, d, "pickup", "accepted", past.Add(-30*24*time.Hour), "")
			r := f.parcel(t, d, "return", "delivered", inside, p)
			return []want{{p, false}, {r, false}}
		}},
		{"pickup accepted, return leg still out", func(t *testing.T) []want {
			d := f.dossier(t, false)
			p := f.parcel(t, d, "pickup", "accepted", past.Add(-30*24*time.Hour), "")
			r := f.parcel(t, d, "return", "delivery_failed", past, p)
			return []want{{p, false}, {r, false}}
		}},
		{"return delivered past with an open incident", func(t *testing.T) []want {
			r := f.parcel(t, f.dossier(t, true), "return", "delivered", past, "")
			ev := uuid.NewString()
			f.exec(t, `INSERT INTO events (id, parcel_id, parcel_seq, type, actor_kind, server_at, data, prev_hash, hash)
				VALUES (?, ?, 1, 'handoff.disputed', 'desk', ?, '{}', decode('00', 'hex'), decode('00', 'hex'))`, ev, r, past)
			f.exec(t, `INSERT INTO incidents (id, parcel_id, event_id, problem, last_custodian_kind, last_custodian_ref, created_at)
				VALUES (?, ?, ?, 'document_missing', 'courier', 'BUUTA1', ?)`, uuid.NewString(), r, ev, past)
			return []want{{r, false}}
		}},
	}
	var all []want
	names := map[string]string{}
	for _, tt := range tests {
		ws := tt.setup(t)
		for _, w := range ws {
			names[w.id] = tt.name
		}
		all = append(all, ws...)
	}
	c, err := f.db.Retain(context.Background(), retentionNow, policy)
	if err != nil {
		t.Fatal(err)
	}
	wantErased := 0
	for _, w := range all {
		if w.erased {
			wantErased++
		}
		if got := f.erased(t, w.id); got != w.erased {
			t.Errorf("%s: parcel %s erased = %v, want %v", names[w.id], w.id, got, w.erased)
		}
	}
	if c.ParcelsErased != wantErased {
		t.Errorf("ParcelsErased = %d, want %d", c.ParcelsErased, wantErased)
	}
	// A second run finds nothing more.
	c2, err := f.db.Retain(context.Background(), retentionNow, policy)
	if err != nil || c2.Total() != 0 {
		t.Errorf("second run = %+v, %v; want nothing", c2, err)
	}
}

// retentionKind is one short-lived table: add makes a row whose limit
// clock started at, with a tag to find it again.
type retentionKind struct {
	name  string
	limit func(app.RetentionPolicy) time.Duration
	add   func(t *testing.T, f *retentionFixture, at time.Time, tag string)
	left  func(t *testing.T, f *retentionFixture, tag string) int
	count func(app.RetentionCounts) int
}

func retentionKinds() []retentionKind {
	countTag := func(table, col string) func(t *testing.T, f *retentionFixture, tag string) int {
		return func(t *testing.T, f *retentionFixture, tag string) int {
			return f.count(t, fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s = ?`, table, col), tag)
		}
	}
	return []retentionKind{
		{"rejected courier event, resolved", func(p app.RetentionPolicy) time.Duration { return p.RejectedEvents },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				f.exec(t, `INSERT INTO device_events (id, user_id, type, tracking_number, raw, status, error_code, received_at, resolved_at, resolved_by)
					VALUES (?, ?, 'pickup.collected', 'EA100000001VN', '{}', 'rejected', ?, ?, ?, ?)`, uuid.NewString(), f.userID, tag, at.Add(-time.Hour), at, f.userID)
			}, countTag("device_events", "error_code"), func(c app.RetentionCounts) int { return c.DeviceEvents }},
		{"demo sms", func(p app.RetentionPolicy) time.Duration { return p.DemoMessages },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				f.exec(t, `INSERT INTO sms_messages (id, phone_enc, phone_last3, body, provider, status, created_at) VALUES (?, 'x', '678', ?, 'demo', 'sent', ?)`,
					uuid.NewString(), tag, at)
			}, countTag("sms_messages", "body"), func(c app.RetentionCounts) int { return c.SMS }},
		{"citizen flow, unverified", func(p app.RetentionPolicy) time.Duration { return p.FlowUnverified },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				f.exec(t, `INSERT INTO citizen_flows (token_hash, dossier_code, phone_enc, phone_hash, created_at, expires_at) VALUES (?, ?, 'x', 'h', ?, ?)`,
					[]byte(uuid.NewString()), tag, at.Add(-30*time.Minute), at)
			}, countTag("citizen_flows", "dossier_code"), func(c app.RetentionCounts) int { return c.Flows }},
		{"citizen flow, verified, pickup created", func(p app.RetentionPolicy) time.Duration { return p.FlowAfterPickup },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				pid := f.parcel(t, f.dossier(t, true), "pickup", "requested", at.Add(48*time.Hour), "") // created at `at`
				f.exec(t, `INSERT INTO citizen_flows (token_hash, dossier_code, phone_enc, phone_hash, created_at, expires_at, verified_at, parcel_id)
					VALUES (?, ?, 'x', 'h', ?, ?, ?, ?)`, []byte(uuid.NewString()), tag, at.Add(-10*time.Minute), at.Add(20*time.Minute), at.Add(-5*time.Minute), pid)
			}, countTag("citizen_flows", "dossier_code"), func(c app.RetentionCounts) int { return c.Flows }},
		{"citizen flow, verified, no pickup", func(p app.RetentionPolicy) time.Duration { return p.FlowAfterPickup },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				f.exec(t, `INSERT INTO citizen_flows (token_hash, dossier_code, phone_enc, phone_hash, created_at, expires_at, verified_at)
					VALUES (?, ?, 'x', 'h', ?, ?, ?)`, []byte(uuid.NewString()), tag, at.Add(-30*time.Minute), at, at.Add(-25*time.Minute))
			}, countTag("citizen_flows", "dossier_code"), func(c app.RetentionCounts) int { return c.Flows }},
		{"door code, expired unused", func(p app.RetentionPolicy) time.Duration { return p.Codes },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				pid := f.parcel(t, f.dossier(t, true), "pickup", "scheduled", at, "")
				f.exec(t, `INSERT INTO door_codes (parcel_id, purpose, code_hash, created_at, expires_at) VALUES (?, 'collect', ?, ?, ?)`,
					pid, []byte(tag), at.Add(-time.Hour), at)
			}, countTag("door_codes", "convert_from(code_hash, 'UTF8')"), func(c app.RetentionCounts) int { return c.DoorCodes }},
		{"door code, used", func(p app.RetentionPolicy) time.Duration { return p.Codes },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				pid := f.parcel(t, f.dossier(t, true), "pickup", "collected", at, "")
				f.exec(t, `INSERT INTO door_codes (parcel_id, purpose, code_hash, created_at, expires_at, used_at) VALUES (?, 'collect', ?, ?, ?, ?)`,
					pid, []byte(tag), at.Add(-time.Hour), at.Add(time.Hour), at)
			}, countTag("door_codes", "convert_from(code_hash, 'UTF8')"), func(c app.RetentionCounts) int { return c.DoorCodes }},
		{"one-time code, expired unused", func(p app.RetentionPolicy) time.Duration { return p.Codes },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				f.exec(t, `INSERT INTO otp_codes (id, purpose, subject, code_hash, created_at, expires_at) VALUES (?, 'door', ?, 'h', ?, ?)`,
					uuid.NewString(), tag, at.Add(-time.Hour), at)
			}, countTag("otp_codes", "subject"), func(c app.RetentionCounts) int { return c.OTPCodes }},
		{"one-time code, used", func(p app.RetentionPolicy) time.Duration { return p.Codes },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				f.exec(t, `INSERT INTO otp_codes (id, purpose, subject, code_hash, created_at, expires_at, used_at) VALUES (?, 'citizen_flow', ?, 'h', ?, ?, ?)`,
					uuid.NewString(), tag, at.Add(-time.Hour), at.Add(time.Hour), at)
			}, countTag("otp_codes", "subject"), func(c app.RetentionCounts) int { return c.OTPCodes }},
		{"courier token", func(p app.RetentionPolicy) time.Duration { return p.CourierTokens },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				f.exec(t, `INSERT INTO api_tokens (token_hash, user_id, device_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
					[]byte(uuid.NewString()), f.userID, tag, at.Add(-7*24*time.Hour), at)
			}, countTag("api_tokens", "device_id"), func(c app.RetentionCounts) int { return c.CourierTokens }},
		{"outbox row, sent", func(p app.RetentionPolicy) time.Duration { return p.Outbox },
			func(t *testing.T, f *retentionFixture, at time.Time, tag string) {
				f.exec(t, `INSERT INTO outbox (topic, order_key, target, payload, created_at, next_at, attempts, sent_at) VALUES ('portal', 'k', ?, '{}', ?, ?, 1, ?)`,
					tag, at.Add(-time.Minute), at.Add(-time.Minute), at)
			}, countTag("outbox", "target"), func(c app.RetentionCounts) int { return c.Outbox }},
	}
}

func TestRetainDeletesShortLivedRows(t *testing.T) {
	policy := app.DefaultRetention(config.Vietnam)
	for _, k := range retentionKinds() {
		t.Run(k.name, func(t *testing.T) {
			f := newRetentionFixture(t)
			limit := k.limit(policy)
			k.add(t, f, retentionNow.Add(-limit-time.Minute), "past")
			k.add(t, f, retentionNow.Add(-limit+time.Minute), "inside")
			c, err := f.db.Retain(context.Background(), retentionNow, policy)
			if err != nil {
				t.Fatal(err)
			}
			if n := k.left(t, f, "past"); n != 0 {
				t.Errorf("row just past the limit: %d left", n)
			}
			if n := k.left(t, f, "inside"); n != 1 {
				t.Errorf("row just inside the limit: %d left, want 1", n)
			}
			if k.count(c) != 1 || c.Total() != 1 {
				t.Errorf("counts %+v: want 1 of this kind and nothing else", c)
			}
			if c2, err := f.db.Retain(context.Background(), retentionNow, policy); err != nil || c2.Total() != 0 {
				t.Errorf("second run = %+v, %v; want nothing", c2, err)
			}
		})
	}
}

// TestRetainKeepsWhatIsStillInUse: rows older than every limit that the
// policy does not cover are kept.
func TestRetainKeepsWhatIsStillInUse(t *testing.T) {
	f := newRetentionFixture(t)
	old := retentionNow.AddDate(-2, 0, 0)
	// Rejected and not resolved: the dispatcher has not looked yet.
	f.exec(t, `INSERT INTO device_events (id, type, tracking_number, raw, status, received_at) VALUES (?, 't', 'EA100000001VN', '{}', 'rejected', ?)`, uuid.NewString(), old)
	// Accepted: the record that the id was applied.
	f.exec(t, `INSERT INTO device_events (id, type, tracking_number, raw, status, received_at) VALUES (?, 't', 'EA100000001VN', '{}', 'accepted', ?)`, uuid.NewString(), old)
	// Outbox rows not settled as sent: pending, dead, discarded.
	f.exec(t, `INSERT INTO outbox (topic, order_key, payload, created_at, next_at) VALUES ('portal', 'a', '{}', ?, ?)`, old, old)
	f.exec(t, `INSERT INTO outbox (topic, order_key, payload, created_at, next_at, dead_at) VALUES ('portal', 'b', '{}', ?, ?, ?)`, old, old, old)
	f.exec(t, `INSERT INTO outbox (topic, order_key, payload, created_at, next_at, discarded_at) VALUES ('notify', 'c', '{}', ?, ?, ?)`, old, old, old)
	// An unverified flow that expired long ago but was started within the
	// rate limit's hour (a clock jump, or a short TTL): the limit counts it.
	f.exec(t, `INSERT INTO citizen_flows (token_hash, dossier_code, phone_enc, phone_hash, created_at, expires_at) VALUES ('t', 'x', 'x', 'h', ?, ?)`,
		retentionNow.Add(-50*time.Minute), retentionNow.Add(-45*time.Minute))
	c, err := f.db.Retain(context.Background(), retentionNow, app.DefaultRetention(config.Vietnam))
	if err != nil || c.Total() != 0 {
		t.Errorf("Retain = %+v, %v; want nothing", c, err)
	}
	if n := f.count(t, `SELECT (SELECT count(*) FROM device_events) + (SELECT count(*) FROM outbox) + (SELECT count(*) FROM citizen_flows)`); n != 6 {
		t.Errorf("%d rows left, want 6", n)
	}
}

// TestRetainNotificationCounters: a day's counter goes once the day ended
// more than two days ago (Vietnam days).
func TestRetainNotificationCounters(t *testing.T) {
	f := newRetentionFixture(t)
	// retentionNow is 19:00 on 24 November in Vietnam. The 21st ended at
	// 22 Nov 00:00 local, more than 48 h ago; the 22nd ended 43 h ago.
	for _, day := range []string{"2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"} {
		f.exec(t, `INSERT INTO notify_counters (phone_hash, day, sent) VALUES ('h', ?, 1)`, day)
	}
	c, err := f.db.Retain(context.Background(), retentionNow, app.DefaultRetention(config.Vietnam))
	if err != nil {
		t.Fatal(err)
	}
	if c.NotifyCounters != 2 {
		t.Errorf("NotifyCounters = %d, want 2", c.NotifyCounters)
	}
	if n := f.count(t, `SELECT count(*) FROM notify_counters WHERE day < '2026-11-22'`); n != 0 {
		t.Errorf("%d counters of days ended more than 2 days ago left", n)
	}
	if n := f.count(t, `SELECT count(*) FROM notify_counters`); n != 3 {
		t.Errorf("%d counters left, want 3", n)
	}
}

// TestRetainInBatches: with more rows than one batch, every row is
// processed, a batch at a time.
func TestRetainInBatches(t *testing.T) {
	f := newRetentionFixture(t)
	policy := app.DefaultRetention(config.Vietnam)
	policy.Batch = 3
	past := retentionNow.Add(-policy.ParcelAfterEnd - time.Hour)
	const rows = 10 // three full batches and a short one
	var ids []string
	for i := 0; i < rows; i++ {
		ids = append(ids, f.parcel(t, f.dossier(t, false), "pickup", "cancelled", past, ""))
		f.exec(t, `INSERT INTO sms_messages (id, phone_enc, phone_last3, body, provider, status, created_at) VALUES (?, 'x', '678', 'b', 'demo', 'sent', ?)`,
			uuid.NewString(), past)
		f.exec(t, `INSERT INTO otp_codes (id, purpose, subject, code_hash, created_at, expires_at) VALUES (?, 'door', 's', 'h', ?, ?)`,
			uuid.NewString(), past, past)
	}
	// Exactly one batch's worth for another kind: the loop must stop on the
	// empty batch that follows a full one.
	for i := 0; i < policy.Batch; i++ {
		f.exec(t, `INSERT INTO api_tokens (token_hash, user_id, device_id, created_at, expires_at) VALUES (?, ?, 'd', ?, ?)`,
			[]byte(uuid.NewString()), f.userID, past, past)
	}
	c, err := f.db.Retain(context.Background(), retentionNow, policy)
	if err != nil {
		t.Fatal(err)
	}
	if c.ParcelsErased != rows || c.SMS != rows || c.OTPCodes != rows || c.CourierTokens != policy.Batch {
		t.Errorf("counts %+v: want %d parcels, sms and codes, %d tokens", c, rows, policy.Batch)
	}
	for _, id := range ids {
		if !f.erased(t, id) {
			t.Errorf("parcel %s not erased", id)
		}
	}
	if n := f.count(t, `SELECT (SELECT count(*) FROM sms_messages) + (SELECT count(*) FROM otp_codes) + (SELECT count(*) FROM api_tokens)`); n != 0 {
		t.Errorf("%d rows left", n)
	}
}

func TestRetainRefusesABadPolicy(t *testing.T) {
	db, _ := pgtest.New(t)
	p := app.DefaultRetention(config.Vietnam)
	p.Outbox = 0
	if _, err := db.Retain(context.Background(), retentionNow, p); err == nil {
		t.Error("a zero limit was accepted")
	}
	p = app.DefaultRetention(nil)
	if _, err := db.Retain(context.Background(), retentionNow, p); err == nil {
		t.Error("a policy with no zone was accepted")
	}
}

// TestRetentionEndStatesAreTheTerminalOnes: the statuses the erasure treats
// as the end of a leg (the partial index of migration 0008 names them) are
// exactly the state machine's terminal ones.
func TestRetentionEndStatesAreTheTerminalOnes(t *testing.T) {
	db, _ := pgtest.New(t)
	all := []tracking.Status{tracking.StatusRequested, tracking.StatusScheduled, tracking.StatusPickupFailed, tracking.StatusCollected,
		tracking.StatusAtOffice, tracking.StatusToDesk, tracking.StatusAtDesk, tracking.StatusAccepted, tracking.StatusReturnedIncomplete,
		tracking.StatusCancelled, tracking.StatusReady, tracking.StatusWithCourier, tracking.StatusOutForDelivery, tracking.StatusDeliveryFailed,
		tracking.StatusHeld, tracking.StatusDelivered, tracking.StatusReturnedToDesk}
	for _, s := range all {
		n, err := db.CountForTest(context.Background(), `SELECT count(*) FROM pg_indexes WHERE indexname = 'parcels_unerased_end_idx'
			AND indexdef LIKE '%''' || ? || '''::text%'`, string(s))
		if err != nil {
			t.Fatal(err)
		}
		if (n == 1) != s.Terminal() {
			t.Errorf("status %s: in the erasure's end states = %v, terminal = %v", s, n == 1, s.Terminal())
		}
	}
}
