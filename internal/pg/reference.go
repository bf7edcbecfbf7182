package pg

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/go-pg/pg/v10"

	"hoso/internal/errs"
	"hoso/internal/units"
	"hoso/tracking"
)

// SyncUnits loads the administrative units into provinces and communes,
// inserting new ones and updating names and points of existing ones, in one
// transaction. Units are never deleted: old parcels keep their references.
func (d *DB) SyncUnits(ctx context.Context, set *units.Set) (err error) {
	defer errs.Wrap(&err, "SyncUnits")
	var pbuf, cbuf bytes.Buffer
	pw, cw := csv.NewWriter(&pbuf), csv.NewWriter(&cbuf)
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	for _, p := range set.Provinces() {
		if err := pw.Write([]string{p.Code, p.Name, p.FullName, f(p.Lat), f(p.Lng)}); err != nil {
			return err
		}
	}
	for _, c := range set.Communes() {
		if err := cw.Write([]string{c.Code, c.ProvinceCode, c.Name, c.FullName, c.Type, f(c.Lat), f(c.Lng)}); err != nil {
			return err
		}
	}
	pw.Flush()
	cw.Flush()
	return d.InTx(ctx, func(ctx context.Context) error {
		tx, ctx, err := mustTx(ctx, "LoadUnits")
		if err != nil {
			return err
		}
		steps := []string{
			`CREATE TEMP TABLE tmp_provinces (LIKE provinces) ON COMMIT DROP`,
			`CREATE TEMP TABLE tmp_communes (LIKE communes) ON COMMIT DROP`,
		}
		for _, s := range steps {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		if _, err := tx.CopyFrom(&pbuf, `COPY tmp_provinces (code, name, full_name, lat, lng) FROM STDIN WITH (FORMAT csv)`); err != nil {
			return fmt.Errorf("copy provinces: %w", err)
		}
		if _, err := tx.CopyFrom(&cbuf, `COPY tmp_communes (code, province_code, name, full_name, unit_type, lat, lng) FROM STDIN WITH (FORMAT csv)`); err != nil {
			return fmt.Errorf("copy communes: %w", err)
		}
		for _, s := range []string{
			`INSERT INTO provinces SELECT * FROM tmp_provinces ON CONFLICT (code) DO UPDATE
			   SET name = EXCLUDED.name, full_name = EXCLUDED.full_name, lat = EXCLUDED.lat, lng = EXCLUDED.lng`,
			`INSERT INTO communes SELECT * FROM tmp_communes ON CONFLICT (code) DO UPDATE
			   SET province_code = EXCLUDED.province_code, name = EXCLUDED.name, full_name = EXCLUDED.full_name,
			       unit_type = EXCLUDED.unit_type, lat = EXCLUDED.lat, lng = EXCLUDED.lng`,
		} {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}

// EnsureS10Service makes sure the sequence for a pair of service letters
// exists. Letters are checked to be two capitals before they reach SQL. A
// new service gets a random permutation key (migration 0012's default).
func (d *DB) EnsureS10Service(ctx context.Context, letters string) (err error) {
	defer errs.Wrap(&err, "pg.EnsureS10Service %s", letters)
	return d.EnsureS10ServiceWithKey(ctx, letters, nil)
}

// EnsureS10ServiceWithKey is EnsureS10Service with the permutation key of a
// new service given (32 bytes): for the simulator and tests, which replay
// the same numbers in fresh databases. A service that exists keeps its key.
func (d *DB) EnsureS10ServiceWithKey(ctx context.Context, letters string, key []byte) (err error) {
	defer errs.Wrap(&err, "pg.EnsureS10ServiceWithKey %s", letters)
	if len(letters) != 2 || letters[0] < 'A' || letters[0] > 'Z' || letters[1] < 'A' || letters[1] > 'Z' {
		return errs.E(errs.Invalid, "chữ dịch vụ S10 %q không hợp lệ", letters)
	}
	if key != nil && len(key) != 32 {
		return errs.E(errs.Invalid, "khóa hoán vị S10 cần 32 byte")
	}
	seq := "s10_serial_" + string([]byte{letters[0] + 32, letters[1] + 32})
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.exec(ctx, `CREATE SEQUENCE IF NOT EXISTS ? MINVALUE 1 MAXVALUE 99999999 NO CYCLE`, pg.Ident(seq)); err != nil {
			return err
		}
		if key == nil {
			_, err := d.exec(ctx, `INSERT INTO s10_services (letters, sequence) VALUES (?, ?) ON CONFLICT DO NOTHING`, letters, seq)
			return err
		}
		_, err := d.exec(ctx, `INSERT INTO s10_services (letters, sequence, perm_key) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, letters, seq, key)
		return err
	})
}

// s10Service is what NextSerial needs of a service: its sequence, the
// permutation of its key and the end of the range issued before serials
// were permuted. None of it changes once made (a trigger refuses).
type s10Service struct {
	sequence  string
	perm      tracking.SerialPermutation
	legacyMax int64
}

// NextSerial takes the next serial of a service: the sequence's next value
// through the service's keyed permutation, so serials issued one after
// another are far apart. Values whose serial is 0 or falls in the range
// issued consecutively before (up to legacy_max) are skipped, so no serial
// is ever issued twice. Sequences do not roll back, so a serial is never
// handed out twice even when the transaction that took it fails.
func (d *DB) NextSerial(ctx context.Context, letters string) (_ uint32, err error) {
	defer errs.Wrap(&err, "pg.NextSerial %s", letters)
	v, ok := d.sequences.Load(letters)
	if !ok {
		var r struct {
			Sequence  string
			PermKey   []byte
			LegacyMax int64
		}
		if err := d.queryOne(ctx, &r, `SELECT sequence, perm_key, legacy_max FROM s10_services WHERE letters = ?`, letters); err != nil {
			if errs.Is(err, errs.NotFound) {
				return 0, errs.E(errs.Unavailable, "chưa khởi tạo dãy số S10 cho %s: chạy `hoso migrate`", letters)
			}
			return 0, err
		}
		perm, err := tracking.NewSerialPermutation(r.PermKey)
		if err != nil {
			return 0, fmt.Errorf("S10 service %s: %w", letters, err)
		}
		v = s10Service{sequence: r.Sequence, perm: perm, legacyMax: r.LegacyMax}
		d.sequences.Store(letters, v)
	}
	svc := v.(s10Service)
	for {
		var n int64
		if err := d.queryOne(ctx, pg.Scan(&n), `SELECT nextval(?)`, svc.sequence); err != nil {
			return 0, fmt.Errorf("next serial %s: %w", letters, err)
		}
		s := svc.perm.Permute(uint32(n))
		if s != 0 && int64(s) > svc.legacyMax {
			return s, nil
		}
	}
}
