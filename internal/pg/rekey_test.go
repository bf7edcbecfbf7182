package pg_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/pg"
	"hoso/internal/secret"
)

var (
	rekeyA = bytes.Repeat([]byte{0xA1}, 32)
	rekeyB = bytes.Repeat([]byte{0xB2}, 32)
)

// sealContext is the context the application seals each column's values
// with (cmd/hoso/rekey.go has the same mapping).
func sealContext(col pg.SealedColumn, key string) string {
	switch col.Name() {
	case "parcels.phone_enc":
		return app.SealPhone
	case "citizen_flows.phone_enc":
		return "citizen_flows.phone"
	case "sms_messages.phone_enc":
		return "sms_messages.phone"
	case "portal_clients.secret_enc":
		return app.SealPortalSecret + ":" + key
	case "notify_tokens.access_enc", "notify_tokens.refresh_enc":
		return "notify_tokens." + key
	}
	return "unknown"
}

func resealer(box *secret.Box, col pg.SealedColumn) pg.Resealer {
	return func(key string, sealed []byte) ([]byte, error) {
		out, resealed, err := box.Reseal(sealed, []byte(sealContext(col, key)))
		if err != nil || !resealed {
			return nil, err
		}
		return out, nil
	}
}

type rekeyFixture struct {
	*dispatchFixture
	damaged string // the parcel whose phone opens with no key
}

// snapshot returns every sealed value by column and key.
func (f *rekeyFixture) snapshot(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, col := range pg.SealedColumns() {
		// Read the values through a dry run that only records them.
		_, err := f.db.RekeyColumn(context.Background(), col, pg.RekeyOptions{DryRun: true}, func(key string, sealed []byte) ([]byte, error) {
			out[col.Name()+"/"+key] = append([]byte(nil), sealed...)
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// newRekeyFixture has sealed values in every column: most under key A, one
// parcel already under B, one parcel damaged.
func newRekeyFixture(t *testing.T) *rekeyFixture {
	t.Helper()
	f := &rekeyFixture{dispatchFixture: newDispatchFixture(t)}
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 4; i < 8; i++ {
		f.parcels = append(f.parcels, f.parcel(t, fmt.Sprintf("EA%08d%dVN", 10000000+i, 0), "BC-05443", f.day.At(8*60), f.day.At(10*60)))
	}
	a, _ := secret.NewBox(rekeyA)
	b, _ := secret.NewBox(rekeyB)
	for i, id := range f.parcels {
		sealed := a.Seal([]byte(fmt.Sprintf("091234567%d", i)), []byte(app.SealPhone))
		switch i {
		case 2:
			sealed = b.Seal([]byte("0912345672"), []byte(app.SealPhone))
		case 5:
			sealed[len(sealed)-1] ^= 1
			f.damaged = id
		case 7:
			sealed = []byte{} // erased at the end of its retention period: skipped
		}
		must(f.db.ExecForTest(ctx, `UPDATE parcels SET phone_enc = ? WHERE id = ?`, sealed, id))
	}
	now := time.Now()
	for i, th := range [][]byte{{0x00, 0x01}, {0xff, 0x5c}, {0x5c, 0x78}} { // 0x5c is a backslash
		must(f.db.CreateFlow(ctx, th, app.Flow{DossierCode: fmt.Sprintf("HS-%d", i), PhoneEnc: a.Seal([]byte("0987654321"), []byte("citizen_flows.phone")),
			PhoneHash: []byte{byte(i)}, CodeHash: []byte{1}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	}
	for i := 0; i < 2; i++ {
		must(f.db.InsertSMS(ctx, fmt.Sprintf("00000000-0000-0000-0000-00000000000%d", i), a.Seal([]byte("0987654321"), []byte("sms_messages.phone")),
			"321", "Mã của bạn", "demo", "stored", now))
	}
	for _, id := range []string{"dvc-a", "dvc-b", "dvc.c"} {
		must(f.db.CreatePortalClient(ctx, app.PortalClient{ID: id, ProvinceCode: "19", Active: true, CreatedAt: now,
			SecretEnc: a.Seal([]byte("bí mật "+id), []byte(app.SealPortalSecret+":"+id))}))
	}
	must(f.db.UpdateNotifyToken(ctx, "zalo", now, func(_, _ []byte, _ time.Time, _ bool) ([]byte, []byte, time.Time, error) {
		return a.Seal([]byte("access"), []byte("notify_tokens.zalo")), a.Seal([]byte("refresh"), []byte("notify_tokens.zalo")), now.Add(time.Hour), nil
	}))
	return f
}

func TestSealedColumnsAreEveryEncColumn(t *testing.T) {
	db := newDispatchFixture(t).db
	n, err := db.CountForTest(context.Background(), `SELECT count(*) FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type = 'bytea' AND column_name LIKE '%\_enc'`)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(pg.SealedColumns()) {
		t.Errorf("schema has %d bytea *_enc columns, SealedColumns lists %d: add the new sealed column to rekey", n, len(pg.SealedColumns()))
	}
	for _, col := range pg.SealedColumns() {
		m, err := db.CountForTest(context.Background(), `SELECT count(*) FROM information_schema.columns
			WHERE table_schema = 'public' AND data_type = 'bytea' AND table_name = ? AND column_name = ?`, col.Table, col.Column)
		if err != nil || m != 1 {
			t.Errorf("%s: not a bytea column of the schema (%d, %v)", col.Name(), m, err)
		}
		k, err := db.CountForTest(context.Background(), `SELECT count(*) FROM information_schema.table_constraints tc
			JOIN information_schema.key_column_usage ku USING (constraint_schema, constraint_name)
			WHERE tc.table_schema = 'public' AND tc.table_name = ? AND tc.constraint_type = 'PRIMARY KEY' AND ku.column_name = ?`, col.Table, col.Key)
		if err != nil || k != 1 {
			t.Errorf("%s: %s is not its table's primary key (%d, %v)", col.Name(), col.Key, k, err)
		}
	}
}

func TestRekeyColumns(t *testing.T) {
	f := newRekeyFixture(t)
	ctx := context.Background()
	rot, _ := secret.NewRotatingBox(rekeyB, rekeyA)
	onlyB, _ := secret.NewBox(rekeyB)
	before := f.snapshot(t)
	if len(before) != 7+3+2+3+2 {
		t.Fatalf("fixture has %d sealed values", len(before))
	}
	// Every column holds values; the table gives what a run must find.
	want := map[string]pg.RekeyCount{
		"parcels.phone_enc":         {Resealed: 5, Current: 1, Failed: 1, FailedKeys: []string{f.damaged}},
		"citizen_flows.phone_enc":   {Resealed: 3},
		"sms_messages.phone_enc":    {Resealed: 2},
		"portal_clients.secret_enc": {Resealed: 3},
		"notify_tokens.access_enc":  {Resealed: 1},
		"notify_tokens.refresh_enc": {Resealed: 1},
	}
	run := func(dry bool) map[string]pg.RekeyCount {
		got := map[string]pg.RekeyCount{}
		for _, col := range pg.SealedColumns() {
			c, err := f.db.RekeyColumn(ctx, col, pg.RekeyOptions{Batch: 2, DryRun: dry}, resealer(rot, col))
			if err != nil {
				t.Fatalf("%s: %v", col.Name(), err)
			}
			got[col.Name()] = c
		}
		return got
	}
	same := func(a, b pg.RekeyCount) bool {
		return a.Resealed == b.Resealed && a.Current == b.Current && a.Failed == b.Failed &&
			strings.Join(a.FailedKeys, ",") == strings.Join(b.FailedKeys, ",")
	}

	// Dry run: the counts of a real run, nothing written.
	for name, c := range run(true) {
		if !same(c, want[name]) {
			t.Errorf("dry run %s = %+v; want %+v", name, c, want[name])
		}
	}
	for k, v := range f.snapshot(t) {
		if !bytes.Equal(v, before[k]) {
			t.Errorf("dry run changed %s", k)
		}
	}

	// The run: every value but the damaged one now opens with B alone.
	for name, c := range run(false) {
		if !same(c, want[name]) {
			t.Errorf("rekey %s = %+v; want %+v", name, c, want[name])
		}
	}
	after := f.snapshot(t)
	if len(after) != len(before) {
		t.Fatalf("%d values after, %d before", len(after), len(before))
	}
	for k, v := range after {
		name, key, _ := strings.Cut(k, "/")
		var col pg.SealedColumn
		for _, c := range pg.SealedColumns() {
			if c.Name() == name {
				col = c
			}
		}
		_, err := onlyB.Open(v, []byte(sealContext(col, key)))
		switch {
		case name == "parcels.phone_enc" && key == f.damaged:
			if !bytes.Equal(v, before[k]) {
				t.Errorf("the damaged value was changed")
			}
		case err != nil:
			t.Errorf("%s does not open with the new key alone: %v", k, err)
		case name == "parcels.phone_enc" && key == f.parcels[2]:
			if !bytes.Equal(v, before[k]) {
				t.Errorf("a value already under the new key was sealed again")
			}
		}
	}
	if n := f.count(t, `SELECT count(*) FROM parcels WHERE phone_enc = ''::bytea`); n != 1 {
		t.Errorf("%d erased phones after the run; want the one there was", n)
	}
	// The store's own read opens with the new key alone.
	p, err := f.db.ParcelSecret(ctx, "EA100000000VN")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := onlyB.Open(p.PhoneEnc, []byte(app.SealPhone)); err != nil || string(got) != "0912345670" {
		t.Errorf("ParcelSecret's phone opens with B alone = %q, %v", got, err)
	}

	// Second run: nothing left to do but the damaged value.
	for name, c := range run(false) {
		w := pg.RekeyCount{Current: want[name].Resealed + want[name].Current, Failed: want[name].Failed, FailedKeys: want[name].FailedKeys}
		if !same(c, w) {
			t.Errorf("second run %s = %+v; want %+v", name, c, w)
		}
	}
}

// TestRekeyWaitsForLockedRows: a row a server holds is waited for (the
// batch retries after a short lock timeout) and then sealed again.
func TestRekeyWaitsForLockedRows(t *testing.T) {
	f := newRekeyFixture(t)
	ctx := context.Background()
	rot, _ := secret.NewRotatingBox(rekeyB, rekeyA)
	col := pg.SealedColumns()[0]
	locked, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- f.db.InTx(ctx, func(ctx context.Context) error {
			if err := f.db.ExecForTest(ctx, `SELECT 1 FROM parcels WHERE id = ? FOR UPDATE`, f.parcels[3]); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	type result struct {
		c   pg.RekeyCount
		err error
	}
	rekeyed := make(chan result, 1)
	go func() {
		c, err := f.db.RekeyColumn(ctx, col, pg.RekeyOptions{Batch: 3, LockTimeout: 50 * time.Millisecond}, resealer(rot, col))
		rekeyed <- result{c, err}
	}()
	// The rekey waits for the row the server holds (a lock not granted),
	// and does not finish while it is held.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := f.db.CountForTest(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()`)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		select {
		case r := <-rekeyed:
			t.Fatalf("rekey finished without waiting for the locked row: %+v %v", r.c, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the rekey never waited for the locked row")
		}
		time.Sleep(2 * time.Millisecond)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r := <-rekeyed
	c, err := r.c, r.err
	if err != nil {
		t.Fatal(err)
	}
	if c.Resealed != 5 || c.Failed != 1 {
		t.Errorf("rekey with a locked row = %+v", c)
	}
	keys := c.FailedKeys
	sort.Strings(keys)
	if len(keys) != 1 || keys[0] != f.damaged {
		t.Errorf("failed keys %v", keys)
	}
}

func TestRehashPhones(t *testing.T) {
	f := newRekeyFixture(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	oldH, _ := secret.NewHasher(bytes.Repeat([]byte{0x0A}, 32))
	newH, _ := secret.NewHasher(bytes.Repeat([]byte{0x0B}, 32))
	phone := func(i int) string { return fmt.Sprintf("091234567%d", i) }
	for i, id := range f.parcels {
		h := oldH.Sum(app.PurposePhone, phone(i))
		if i == 7 {
			h = []byte{} // erased with its phone
		}
		must(f.db.ExecForTest(ctx, `UPDATE parcels SET phone_hash = ? WHERE id = ?`, h, id))
	}
	must(f.db.ExecForTest(ctx, `UPDATE citizen_flows SET phone_hash = ?`, oldH.Sum(app.PurposePhone, "0987654321")))
	old0, new0 := oldH.Sum(app.PurposePhone, phone(0)), newH.Sum(app.PurposePhone, phone(0))
	orphan := oldH.Sum(app.PurposePhone, "0900000000")
	must(f.db.ExecForTest(ctx, `INSERT INTO notify_optouts (phone_hash, via, at) VALUES (?, 'link', now()), (?, 'reply', now())`, old0, orphan))
	must(f.db.ExecForTest(ctx, `INSERT INTO notify_counters (phone_hash, day, sent) VALUES (?, '2026-11-20', 2), (?, '2026-11-20', 1), (?, '2026-11-21', 4)`, old0, new0, old0))
	must(f.db.ExecForTest(ctx, `INSERT INTO notify_links (token_hash, parcel_id, phone_hash, created_at) VALUES ('\x01', ?, ?, now())`, f.parcels[0], old0))

	rot, _ := secret.NewRotatingBox(rekeyB, rekeyA)
	rehasher := func(col pg.SealedColumn) pg.Rehasher {
		return func(key string, sealed, stored []byte) ([]byte, error) {
			p, err := rot.Open(sealed, []byte(sealContext(col, key)))
			if err != nil {
				return nil, err
			}
			if h := newH.Sum(app.PurposePhone, string(p)); !secret.Equal(h, stored) {
				return h, nil
			}
			return nil, nil
		}
	}
	run := func(dry bool) map[string]pg.RekeyCount {
		out := map[string]pg.RekeyCount{}
		for _, col := range pg.PhoneHashColumns() {
			c, err := f.db.RehashPhones(ctx, col, pg.RekeyOptions{Batch: 2, DryRun: dry}, rehasher(col))
			must(err)
			out[col.Name()] = c
		}
		return out
	}
	check := func(what string, got map[string]pg.RekeyCount, parcels, flows pg.RekeyCount) {
		t.Helper()
		for name, want := range map[string]pg.RekeyCount{"parcels.phone_enc": parcels, "citizen_flows.phone_enc": flows} {
			g := got[name]
			if g.Resealed != want.Resealed || g.Current != want.Current || g.Failed != want.Failed {
				t.Errorf("%s %s = %+v; want %+v", what, name, g, want)
			}
		}
	}
	if _, err := f.db.RehashPhones(ctx, pg.SealedColumns()[3], pg.RekeyOptions{}, rehasher(pg.SealedColumns()[3])); err == nil {
		t.Error("rehash of portal secrets accepted")
	}

	check("dry run", run(true), pg.RekeyCount{Resealed: 6, Failed: 1}, pg.RekeyCount{Resealed: 3})
	if n := f.count(t, `SELECT count(*) FROM notify_optouts WHERE phone_hash = ?`, old0); n != 1 {
		t.Error("dry run moved the opt-out")
	}
	check("run", run(false), pg.RekeyCount{Resealed: 6, Failed: 1}, pg.RekeyCount{Resealed: 3})
	for i, id := range f.parcels {
		want := newH.Sum(app.PurposePhone, phone(i))
		switch i {
		case 5:
			want = oldH.Sum(app.PurposePhone, phone(i)) // damaged phone: hash left as it was
		case 7:
			want = []byte{}
		}
		if n := f.count(t, `SELECT count(*) FROM parcels WHERE id = ? AND phone_hash = ?`, id, want); n != 1 {
			t.Errorf("parcel %d: hash not as expected", i)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM citizen_flows WHERE phone_hash = ?`, newH.Sum(app.PurposePhone, "0987654321")); n != 3 {
		t.Errorf("%d citizen flows re-hashed; want 3", n)
	}
	for _, c := range []struct {
		q    string
		args []any
		want int
	}{
		{`SELECT count(*) FROM notify_optouts WHERE phone_hash = ?`, []any{new0}, 1},
		{`SELECT count(*) FROM notify_optouts WHERE phone_hash = ?`, []any{old0}, 0},
		{`SELECT sent FROM notify_counters WHERE phone_hash = ? AND day = '2026-11-20'`, []any{new0}, 3},
		{`SELECT sent FROM notify_counters WHERE phone_hash = ? AND day = '2026-11-21'`, []any{new0}, 4},
		{`SELECT count(*) FROM notify_counters WHERE phone_hash = ?`, []any{old0}, 0},
		{`SELECT count(*) FROM notify_links WHERE parcel_id = ? AND phone_hash = ?`, []any{f.parcels[0], new0}, 1},
	} {
		if n := f.count(t, c.q, c.args...); n != c.want {
			t.Errorf("%s %x = %d; want %d", c.q, c.args[0], n, c.want)
		}
	}
	optouts, counters, err := f.db.UnmatchedPhoneHashes(ctx)
	if err != nil || optouts != 1 || counters != 0 {
		t.Errorf("unmatched = %d opt-outs, %d counters, %v; want the one orphan opt-out", optouts, counters, err)
	}
	check("second run", run(false), pg.RekeyCount{Current: 6, Failed: 1}, pg.RekeyCount{Current: 3})

	// Opt-out links: the unannounced one gets the new key's token, the
	// announced one keeps the token citizens already have.
	must(f.db.ExecForTest(ctx, `INSERT INTO notify_links (token_hash, parcel_id, phone_hash, created_at, announced_at) VALUES ('\x02', ?, ?, now(), now())`,
		f.parcels[1], newH.Sum(app.PurposePhone, phone(1))))
	token := func(parcelID string) []byte { return secret.TokenHash(string(newH.Sum("notify-optout", parcelID))) }
	for _, step := range []struct {
		dry               bool
		relinked, current int
		token0            []byte
	}{{true, 1, 0, []byte{1}}, {false, 1, 0, token(f.parcels[0])}, {false, 0, 1, token(f.parcels[0])}} {
		relinked, current, err := f.db.RelinkOptOuts(ctx, step.dry, token)
		if err != nil || relinked != step.relinked || current != step.current {
			t.Errorf("relink (dry %v) = %d, %d, %v; want %d, %d", step.dry, relinked, current, err, step.relinked, step.current)
		}
		if n := f.count(t, `SELECT count(*) FROM notify_links WHERE parcel_id = ? AND token_hash = ?`, f.parcels[0], step.token0); n != 1 {
			t.Errorf("relink (dry %v): unannounced link's token not as expected", step.dry)
		}
		if n := f.count(t, `SELECT count(*) FROM notify_links WHERE parcel_id = ? AND token_hash = '\x02'`, f.parcels[1]); n != 1 {
			t.Errorf("relink (dry %v): the announced link's token changed", step.dry)
		}
	}
}
