package app

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"hoso/internal/errs"
	"hoso/internal/units"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// ---------- offices ----------

var officeCode = regexp.MustCompile(`^[A-Za-z0-9_.-]{2,40}$`)

// ImportResult says what an office import did.
type ImportResult struct {
	Created, Updated int
}

// ImportOffices reads post offices from CSV with the header
// code,name,commune_code,lat,lng and stores them all, or none: every bad
// line is reported (field "line N") and nothing is written. The province
// comes from the commune. A dispatcher may import only offices of their
// province.
func (d *Dispatch) ImportOffices(ctx context.Context, u User, r io.Reader) (ImportResult, error) {
	if err := mayDispatch(u); err != nil {
		return ImportResult{}, err
	}
	province := ""
	if u.Role == RoleDispatcher {
		province = u.ProvinceCode
	}
	offices, err := ParseOffices(r, d.Units, province)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	err = d.Tx.InTx(ctx, func(ctx context.Context) error {
		res = ImportResult{}
		for _, o := range offices {
			_, err := d.Store.FindOffice(ctx, o.Code)
			switch {
			case errs.Is(err, errs.NotFound):
				res.Created++
			case err != nil:
				return err
			default:
				res.Updated++
			}
			if err := d.Store.UpsertOffice(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// maxOfficeRows bounds an office list.
const maxOfficeRows = 5000

// ParseOffices reads post offices from CSV with the header
// code,name,commune_code,lat,lng and an optional postal_code (the office's
// five-digit national postal code, which postal systems know it by; empty
// keeps the one stored) in any column order, a UTF-8 BOM allowed.
// Every faulty line is reported as field "line N" of an Unprocessable
// error; no office is returned then. province, when not empty, is the only
// province the communes may be in.
func ParseOffices(r io.Reader, set *units.Set, province string) ([]PostOffice, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, errs.E(errs.Unprocessable, "Tệp CSV trống hoặc hỏng: cần dòng tiêu đề code,name,commune_code,lat,lng")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, w := range []string{"code", "name", "commune_code", "lat", "lng"} {
		if _, ok := col[w]; !ok {
			return nil, errs.E(errs.Unprocessable, "Thiếu cột %q: tiêu đề phải là code,name,commune_code,lat,lng", w)
		}
	}
	f := errs.Fields{}
	var offices []PostOffice
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		key := fmt.Sprintf("line %d", line)
		if err != nil {
			f.Add(key, fmt.Sprintf("Dòng %d không đọc được: %v", line, err))
			if len(f) > 100 {
				break
			}
			continue
		}
		if line-1 > maxOfficeRows {
			return nil, errs.E(errs.Unprocessable, "Tệp có hơn %d bưu cục", maxOfficeRows)
		}
		get := func(name string) string {
			i := col[name]
			if i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		o := PostOffice{Code: get("code"), Name: vntext.NFC(get("name")), CommuneCode: get("commune_code")}
		var problems []string
		if _, ok := col["postal_code"]; ok {
			o.PostalCode = get("postal_code")
			if o.PostalCode != "" && !tracking.ValidPostalCode(o.PostalCode) {
				problems = append(problems, fmt.Sprintf("mã bưu chính “%s” phải gồm đúng 5 chữ số", o.PostalCode))
			}
		}
		if !officeCode.MatchString(o.Code) {
			problems = append(problems, fmt.Sprintf("mã “%s” phải gồm 2–40 chữ, số, dấu chấm, gạch", o.Code))
		} else if prev, dup := seen[o.Code]; dup {
			problems = append(problems, fmt.Sprintf("mã %s đã có ở dòng %d", o.Code, prev))
		}
		if o.Name == "" || len([]rune(o.Name)) > 200 {
			problems = append(problems, "tên bưu cục trống hoặc dài quá 200 ký tự")
		}
		if c, ok := set.Commune(o.CommuneCode); !ok {
			problems = append(problems, fmt.Sprintf("không có xã, phường mã “%s”", o.CommuneCode))
		} else {
			o.ProvinceCode = c.ProvinceCode
			if province != "" && c.ProvinceCode != province {
				problems = append(problems, fmt.Sprintf("%s không thuộc tỉnh của bạn", c.FullName))
			}
		}
		lat, err1 := strconv.ParseFloat(get("lat"), 64)
		lng, err2 := strconv.ParseFloat(get("lng"), 64)
		// Vietnam's mainland and islands lie within 8–24° N, 102–118° E.
		if err1 != nil || err2 != nil || !(lat >= 8 && lat <= 24 && lng >= 102 && lng <= 118) {
			problems = append(problems, fmt.Sprintf("toạ độ (%s, %s) không nằm ở Việt Nam", get("lat"), get("lng")))
		}
		o.Lat, o.Lng = lat, lng
		if len(problems) > 0 {
			f.Add(key, fmt.Sprintf("Dòng %d (%s): %s", line, o.Code, strings.Join(problems, "; ")))
			if len(f) > 100 {
				break
			}
			continue
		}
		seen[o.Code] = line
		offices = append(offices, o)
	}
	if err := f.Err(errs.Unprocessable, fmt.Sprintf("Tệp có %d dòng lỗi; chưa nhập bưu cục nào", len(f))); err != nil {
		return nil, err
	}
	if len(offices) == 0 {
		return nil, errs.E(errs.Unprocessable, "Tệp không có bưu cục nào")
	}
	return offices, nil
}
