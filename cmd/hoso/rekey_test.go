package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/internal/secret"
	"hoso/tracking"
)

// rekeyEnv is a migrated database whose personal data was written by the
// binary's own wiring with data key A (testKeys).
type rekeyEnv struct {
	t       *testing.T
	url     string
	parcels []app.Parcel
	phones  []string
	portal  string
}

var (
	rekeyKeyA = testKeys["HOSO_DATA_KEY"]
	rekeyKeyB = strings.Repeat("5b", 32)
)

// env returns the environment of a binary with data key current and,
// unless empty, previous.
func (e *rekeyEnv) env(current, previous string) func(string) string {
	vars := map[string]string{"HOSO_DATABASE_URL": e.url, "HOSO_DATA_KEY": current}
	if previous != "" {
		vars["HOSO_DATA_KEY_PREVIOUS"] = previous
	}
	return envFunc(vars)
}

// system opens the binary's wiring with those keys.
func (e *rekeyEnv) system(current, previous string) *system {
	e.t.Helper()
	cfg, err := config.Load(e.env(current, previous), false)
	if err != nil {
		e.t.Fatal(err)
	}
	sys, err := open(context.Background(), cfg, newLogger(io.Discard, cfg.LogLevel))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { sys.db.Close() })
	return sys
}

// nextServiceDay is a Monday-to-Saturday date at least two days ahead.
func nextServiceDay() time.Time {
	d := time.Now().In(config.Vietnam).AddDate(0, 0, 2)
	for d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, config.Vietnam)
}

func newRekeyEnv(t *testing.T) *rekeyEnv {
	t.Helper()
	e := &rekeyEnv{t: t, url: pgtest.URLFor(pgtest.NewDatabase(t))}
	ctx := context.Background()
	cfg, err := config.Load(e.env(rekeyKeyA, ""), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, cfg, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	sys := e.system(rekeyKeyA, "")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(sys.db.UpsertDesk(ctx, app.Desk{Code: "TN-TTPVHCC", Name: "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên", Level: "province", CommuneCode: "05443", ProvinceCode: "19"}))
	must(sys.db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05443", Name: "Bưu cục Phan Đình Phùng", CommuneCode: "05443", ProvinceCode: "19", Lat: 21.5887, Lng: 105.8338}))
	_, e.portal, err = sys.portal.CreateClient(ctx, "dvc-rekey", "Cổng thử nghiệm", "19", "", false)
	must(err)
	_, _, err = sys.postal.CreateClient(ctx, "buudien-rekey", "Bưu điện thử nghiệm", "19", "", false)
	must(err)
	day := nextServiceDay()
	lat, lng := 21.59, 105.84
	for i := 0; i < 5; i++ {
		phone := fmt.Sprintf("09123456%02d", 70+i)
		p, err := sys.intake.Create(ctx, tracking.PickupRequest{
			Dossier:   tracking.Dossier{Code: fmt.Sprintf("HS-REKEY-%d", i), DeskCode: "TN-TTPVHCC"},
			Citizen:   tracking.Citizen{FullName: "Nguyễn Văn A", Phone: phone},
			Address:   tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: "Số 1", Lat: &lat, Lng: &lng},
			Documents: []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}},
			Windows:   []tracking.Window{{Start: day.Add(8 * time.Hour), End: day.Add(10 * time.Hour)}},
			Channel:   tracking.ChannelCitizen,
		})
		must(err)
		e.parcels = append(e.parcels, p)
		e.phones = append(e.phones, phone)
	}
	sms := &app.DemoSMS{Store: sys.db, Box: sys.box, Now: time.Now, NewID: func() string { return "00000000-0000-0000-0000-0000000000aa" }}
	must(sms.Send(ctx, "0912345699", "Mã xác nhận 123456"))
	return e
}

// rekeyRun runs `hoso rekey args…` with the given keys.
func (e *rekeyEnv) run(current, previous string, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"rekey"}, args...), e.env(current, previous), &out, &errOut)
	return out.String(), errOut.String(), err
}

// sealed returns every sealed value by column and primary key.
func (e *rekeyEnv) sealed(db *pg.DB) map[string][]byte {
	e.t.Helper()
	out := map[string][]byte{}
	for _, col := range pg.SealedColumns() {
		_, err := db.RekeyColumn(context.Background(), col, pg.RekeyOptions{DryRun: true}, func(key string, v []byte) ([]byte, error) {
			out[col.Name()+"/"+key] = append([]byte(nil), v...)
			return nil, nil
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// counts parses the command's table: column → "resealed current failed".
func rekeyCounts(t *testing.T, stdout string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && strings.Contains(f[0], "_enc") {
			m[f[0]] = strings.Join(f[1:], " ")
		}
	}
	if len(m) != len(pg.SealedColumns()) {
		t.Fatalf("output has %d column lines, want %d:\n%s", len(m), len(pg.SealedColumns()), stdout)
	}
	return m
}

func TestRekeyCommand(t *testing.T) {
	e := newRekeyEnv(t)
	ctx := context.Background()
	admin := e.system(rekeyKeyA, "")
	user, err := admin.auth.CreateUser(ctx, app.NewUser{Username: "quantri", Role: app.RoleAdmin, Password: "mat-khau-quantri", FullName: "Quản trị"})
	if err != nil {
		t.Fatal(err)
	}
	before := e.sealed(admin.db)

	// Dry run: counts what a run would do, changes nothing.
	out, _, err := e.run(rekeyKeyB, rekeyKeyA, "--dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	want := map[string]string{
		"parcels.phone_enc": "5 0 0", "sms_messages.phone_enc": "1 0 0", "portal_clients.secret_enc": "1 0 0", "postal_clients.secret_enc": "1 0 0",
		"citizen_flows.phone_enc": "0 0 0", "notify_tokens.access_enc": "0 0 0", "notify_tokens.refresh_enc": "0 0 0",
		"portal_clients.previous_secret_enc": "0 0 0", // no rotation yet
	}
	for col, c := range rekeyCounts(t, out) {
		if c != want[col] {
			t.Errorf("dry run %s = %q; want %q", col, c, want[col])
		}
	}
	if !strings.Contains(out, "dry run") {
		t.Errorf("dry run does not say so:\n%s", out)
	}
	for k, v := range e.sealed(admin.db) {
		if !bytes.Equal(v, before[k]) {
			t.Errorf("dry run changed %s", k)
		}
	}

	// The run, in batches of two.
	out, _, err = e.run(rekeyKeyB, rekeyKeyA, "--batch", "2")
	if err != nil {
		t.Fatalf("rekey: %v\n%s", err, out)
	}
	for col, c := range rekeyCounts(t, out) {
		if c != want[col] {
			t.Errorf("rekey %s = %q; want %q", col, c, want[col])
		}
	}

	// A server with only the new key reads everything; one with only the
	// old key reads nothing.
	onlyB, onlyA := e.system(rekeyKeyB, ""), e.system(rekeyKeyA, "")
	for i, p := range e.parcels {
		fresh, err := onlyB.db.FindParcel(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := onlyB.intake.RevealPhone(ctx, user, fresh, "kiểm tra sau khi đổi khóa")
		if err != nil || got != e.phones[i] {
			t.Errorf("parcel %s with the new key alone: %q, %v", p.Number, got, err)
		}
		if _, err := onlyA.intake.RevealPhone(ctx, user, fresh, "khóa cũ"); err == nil {
			t.Errorf("parcel %s still opens with the old key alone", p.Number)
		}
	}
	c, err := onlyB.db.FindPortalClient(ctx, "dvc-rekey")
	if err != nil {
		t.Fatal(err)
	}
	if sec, err := onlyB.portal.Secret(c); err != nil || string(sec) != e.portal {
		t.Errorf("portal secret with the new key alone: %v", err)
	}
	if msgs := e.sealed(onlyB.db); len(msgs) != len(before) {
		t.Errorf("%d sealed values after the run, %d before", len(msgs), len(before))
	}

	// A second run has nothing to do.
	out, _, err = e.run(rekeyKeyB, rekeyKeyA)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	again := map[string]string{
		"parcels.phone_enc": "0 5 0", "sms_messages.phone_enc": "0 1 0", "portal_clients.secret_enc": "0 1 0", "postal_clients.secret_enc": "0 1 0",
		"citizen_flows.phone_enc": "0 0 0", "notify_tokens.access_enc": "0 0 0", "notify_tokens.refresh_enc": "0 0 0",
		"portal_clients.previous_secret_enc": "0 0 0", // no rotation yet
	}
	for col, c := range rekeyCounts(t, out) {
		if c != again[col] {
			t.Errorf("second run %s = %q; want %q", col, c, again[col])
		}
	}
}

func TestRekeyReportsDamagedValues(t *testing.T) {
	e := newRekeyEnv(t)
	ctx := context.Background()
	sys := e.system(rekeyKeyA, "")
	damaged := e.parcels[1]
	if err := sys.db.ExecForTest(ctx, `UPDATE parcels SET phone_enc = set_byte(phone_enc, length(phone_enc) - 1,
		get_byte(phone_enc, length(phone_enc) - 1) # 1) WHERE id = ?`, damaged.ID); err != nil {
		t.Fatal(err)
	}
	bad := e.sealed(sys.db)["parcels.phone_enc/"+damaged.ID]
	for _, dry := range []bool{true, false} {
		args := []string{}
		if dry {
			args = append(args, "--dry-run")
		}
		out, errOut, err := e.run(rekeyKeyB, rekeyKeyA, args...)
		if err == nil {
			t.Fatalf("dry %v: a damaged value gave no error:\n%s", dry, out)
		}
		if got := rekeyCounts(t, out)["parcels.phone_enc"]; got != "4 0 1" {
			t.Errorf("dry %v: parcels = %q; want 4 0 1", dry, got)
		}
		if !strings.Contains(errOut, "parcels.phone_enc id="+damaged.ID) {
			t.Errorf("dry %v: the damaged row is not named:\n%s", dry, errOut)
		}
		all := out + errOut + err.Error()
		if !dry {
			t.Logf("output of a run with a damaged value:\n%s%s", out, errOut)
		}
		for _, secretText := range []string{e.phones[1], hex.EncodeToString(bad), string(bad)} {
			if strings.Contains(all, secretText) {
				t.Errorf("dry %v: the output shows the value (%q)", dry, secretText)
			}
		}
	}
	// The damaged value is left as it was; the others moved.
	after := e.sealed(sys.db)
	if !bytes.Equal(after["parcels.phone_enc/"+damaged.ID], bad) {
		t.Error("the damaged value was changed")
	}
	out, _, err := e.run(rekeyKeyB, rekeyKeyA)
	if err == nil || rekeyCounts(t, out)["parcels.phone_enc"] != "0 4 1" {
		t.Errorf("third run: %v\n%s", err, out)
	}
}

func TestRekeyUsage(t *testing.T) {
	for _, cmd := range []string{"rekey", "rehash-phones"} {
		for _, args := range [][]string{{"extra"}, {"--batch", "0"}, {"--nope"}} {
			var out, errOut bytes.Buffer
			if err := run(context.Background(), append([]string{cmd}, args...), envFunc(nil), &out, &errOut); err == nil {
				t.Errorf("%s %v accepted", cmd, args)
			}
		}
	}
	// Every sealed column has its sealing context.
	for _, c := range pg.SealedColumns() {
		if _, ok := sealContext(c.Name(), "x"); !ok {
			t.Errorf("%s has no sealing context", c.Name())
		}
	}
}

func TestRehashPhonesCommand(t *testing.T) {
	e := newRekeyEnv(t)
	ctx := context.Background()
	newHash := strings.Repeat("6c", 32)
	vars := map[string]string{"HOSO_DATABASE_URL": e.url, "HOSO_HASH_KEY": newHash}
	oldSys := e.system(rekeyKeyA, "")
	// The first citizen opted out and had two messages today, under the
	// old hash key.
	old0 := oldSys.intake.PhoneHash(e.phones[0])
	if err := oldSys.db.ExecForTest(ctx, `INSERT INTO notify_optouts (phone_hash, via, at) VALUES (?, 'reply', now());
		INSERT INTO notify_counters (phone_hash, day, sent) VALUES (?, current_date, 2)`, old0, old0); err != nil {
		t.Fatal(err)
	}
	// Its opt-out link was made but no message carrying it went out.
	if err := oldSys.db.ExecForTest(ctx, `INSERT INTO notify_links (token_hash, parcel_id, phone_hash, created_at) VALUES (?, ?, ?, now())`,
		secret.TokenHash(optOutToken(oldSys.hasher, e.parcels[0].ID)), e.parcels[0].ID, old0); err != nil {
		t.Fatal(err)
	}
	rehash := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(ctx, append([]string{"rehash-phones"}, args...), envFunc(vars), &out, &errOut); err != nil {
			t.Fatalf("rehash-phones %v: %v\n%s%s", args, err, out.String(), errOut.String())
		}
		return out.String()
	}
	line := func(out, col string) string {
		t.Helper()
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) == 4 && f[0] == col {
				return strings.Join(f[1:], " ")
			}
		}
		t.Fatalf("no line for %s:\n%s", col, out)
		return ""
	}

	if got := line(rehash("--dry-run"), "parcels.phone_enc"); got != "5 0 0" {
		t.Errorf("dry run parcels = %q; want 5 0 0", got)
	}
	if n := e.countIn(oldSys.db, `SELECT count(*) FROM parcels WHERE phone_hash = ?`, old0); n != 1 {
		t.Errorf("dry run changed the hashes")
	}
	out := rehash("--batch", "2")
	if got := line(out, "parcels.phone_enc"); got != "5 0 0" {
		t.Errorf("run parcels = %q; want 5 0 0\n%s", got, out)
	}
	if !strings.Contains(out, "already current: 1 / 0") {
		t.Errorf("the unsent opt-out link not relinked:\n%s", out)
	}
	if !strings.Contains(out, "cannot be re-hashed): 0 / 0") {
		t.Errorf("unmatched opt-outs reported:\n%s", out)
	}

	// A server with the new hash key finds the phones, the opt-out and the
	// day's count.
	cfg, err := config.Load(envFunc(vars), false)
	if err != nil {
		t.Fatal(err)
	}
	newSys, err := open(ctx, cfg, newLogger(io.Discard, cfg.LogLevel))
	if err != nil {
		t.Fatal(err)
	}
	defer newSys.db.Close()
	for i, p := range e.parcels {
		if n := e.countIn(newSys.db, `SELECT count(*) FROM parcels WHERE id = ? AND phone_hash = ?`, p.ID, newSys.intake.PhoneHash(e.phones[i])); n != 1 {
			t.Errorf("parcel %s: hash is not the new key's", p.Number)
		}
	}
	new0 := newSys.intake.PhoneHash(e.phones[0])
	if out, err := newSys.db.OptedOut(ctx, new0); err != nil || !out {
		t.Errorf("opt-out under the new hash key: %v, %v", out, err)
	}
	if n := e.countIn(newSys.db, `SELECT sent FROM notify_counters WHERE phone_hash = ? AND day = current_date`, new0); n != 2 {
		t.Errorf("today's count under the new hash = %d; want 2", n)
	}
	if n := e.countIn(newSys.db, `SELECT count(*) FROM notify_links WHERE parcel_id = ? AND token_hash = ? AND phone_hash = ?`,
		e.parcels[0].ID, secret.TokenHash(optOutToken(newSys.hasher, e.parcels[0].ID)), new0); n != 1 {
		t.Error("the unsent opt-out link does not carry the new key's token and hash")
	}
	if got := line(rehash(), "parcels.phone_enc"); got != "0 5 0" {
		t.Errorf("second run parcels = %q; want 0 5 0", got)
	}
}

func (e *rekeyEnv) countIn(db *pg.DB, q string, args ...any) int {
	e.t.Helper()
	n, err := db.CountForTest(context.Background(), q, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}
