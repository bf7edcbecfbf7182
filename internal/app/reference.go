package app

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/internal/errs"
	"hoso/internal/units"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// ReferenceStore is what the reference data (desks and post offices) needs.
type ReferenceStore interface {
	FindDesk(ctx context.Context, code string) (Desk, error)
	FindDesks(ctx context.Context, province string) ([]Desk, error)
	UpsertDesk(ctx context.Context, k Desk) error
	CreateDesk(ctx context.Context, k Desk) (bool, error)
	CreateOffice(ctx context.Context, o PostOffice) (bool, error)
	SetDeskActive(ctx context.Context, code string, active bool) error
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	FindOffices(ctx context.Context, province string) ([]PostOffice, error)
	UpsertOffice(ctx context.Context, o PostOffice) error
	SetOfficeActive(ctx context.Context, code string, active bool) error
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// Reference keeps the province's reference data: one-stop desks (the
// provincial centre and the commune desks) and post offices. An admin
// creates, edits, imports (CSV, all or nothing) and deactivates them; an
// admin with a province only that province's. Nothing is ever deleted:
// parcels, accounts and manifests keep naming a desk or an office, so it is
// switched off instead (a trigger refuses deletes). Every change is one
// transaction with its audit row.
type Reference struct {
	Store ReferenceStore
	Tx    Tx
	Units *units.Set
	Now   func() time.Time
}

// Audit actions of reference data.
const (
	AuditDeskCreated     = "reference.desk_created"
	AuditDeskUpdated     = "reference.desk_updated"
	AuditDeskActive      = "reference.desk_reactivated"
	AuditDeskInactive    = "reference.desk_deactivated"
	AuditDesksImported   = "reference.desks_imported"
	AuditOfficeCreated   = "reference.office_created"
	AuditOfficeUpdated   = "reference.office_updated"
	AuditOfficeActive    = "reference.office_reactivated"
	AuditOfficeInactive  = "reference.office_deactivated"
	AuditOfficesImported = "reference.offices_imported"
)

// Desk levels.
const (
	DeskProvince = "province"
	DeskCommune  = "commune"
)

// DeskLevelLabel names a desk level in Vietnamese.
func DeskLevelLabel(level string) string {
	if level == DeskProvince {
		return "Trung tâm Phục vụ hành chính công tỉnh"
	}
	return "Bộ phận một cửa cấp xã"
}

var (
	refCode   = regexp.MustCompile(`^[A-Za-z0-9_.-]{2,40}$`)
	deskPhone = regexp.MustCompile(`^[0-9 .+()-]{0,20}$`)
	// reservedCodes are path words of the pages: no desk or office is named so.
	reservedCodes = map[string]bool{"moi": true, "nhap": true}
)

func mayKeepReference(u User) error {
	if u.Role != RoleAdmin {
		return errs.E(errs.Forbidden, "Chỉ quản trị viên sửa danh mục bộ phận một cửa và bưu cục")
	}
	return nil
}

func inScope(u User, province string) bool {
	return u.ProvinceCode == "" || u.ProvinceCode == province
}

// Desks lists the desks in the admin's scope, inactive ones included.
func (r *Reference) Desks(ctx context.Context, u User) ([]Desk, error) {
	if err := mayKeepReference(u); err != nil {
		return nil, err
	}
	return r.Store.FindDesks(ctx, u.ProvinceCode)
}

// Desk finds one desk in the admin's scope; others are not found.
func (r *Reference) Desk(ctx context.Context, u User, code string) (Desk, error) {
	if err := mayKeepReference(u); err != nil {
		return Desk{}, err
	}
	k, err := r.Store.FindDesk(ctx, code)
	if errs.Is(err, errs.NotFound) || (err == nil && !inScope(u, k.ProvinceCode)) {
		return Desk{}, errs.E(errs.NotFound, "Không có bộ phận một cửa này trong phạm vi của bạn")
	}
	return k, err
}

// Offices lists the post offices in the admin's scope.
func (r *Reference) Offices(ctx context.Context, u User) ([]PostOffice, error) {
	if err := mayKeepReference(u); err != nil {
		return nil, err
	}
	return r.Store.FindOffices(ctx, u.ProvinceCode)
}

// Office finds one post office in the admin's scope.
func (r *Reference) Office(ctx context.Context, u User, code string) (PostOffice, error) {
	if err := mayKeepReference(u); err != nil {
		return PostOffice{}, err
	}
	o, err := r.Store.FindOffice(ctx, code)
	if errs.Is(err, errs.NotFound) || (err == nil && !inScope(u, o.ProvinceCode)) {
		return PostOffice{}, errs.E(errs.NotFound, "Không có bưu cục này trong phạm vi của bạn")
	}
	return o, err
}

// CheckDesk normalises a desk and returns its problems by field (code,
// name, level, commune, address, hours, phone); the province comes from
// the commune and must be province when that is not empty.
func CheckDesk(k *Desk, set *units.Set, province string) errs.Fields {
	f := errs.Fields{}
	k.Code = strings.TrimSpace(k.Code)
	k.Name = strings.TrimSpace(vntext.NFC(k.Name))
	k.Level = strings.TrimSpace(k.Level)
	k.CommuneCode = strings.TrimSpace(k.CommuneCode)
	k.Address = strings.TrimSpace(vntext.NFC(k.Address))
	k.Hours = strings.TrimSpace(vntext.NFC(k.Hours))
	k.Phone = strings.TrimSpace(k.Phone)
	if !refCode.MatchString(k.Code) || reservedCodes[strings.ToLower(k.Code)] {
		f.Add("code", fmt.Sprintf("mã “%s” phải gồm 2–40 chữ không dấu, số, dấu chấm, gạch", clipRef(k.Code)))
	}
	if k.Name == "" || utf8.RuneCountInString(k.Name) > 200 || !utf8.ValidString(k.Name) {
		f.Add("name", "tên trống hoặc dài quá 200 ký tự")
	}
	if k.Level != DeskProvince && k.Level != DeskCommune {
		f.Add("level", "cấp phải là province (trung tâm tỉnh) hoặc commune (một cửa cấp xã)")
	}
	if c, ok := set.Commune(k.CommuneCode); !ok {
		f.Add("commune", fmt.Sprintf("không có xã, phường mã “%s”", clipRef(k.CommuneCode)))
	} else {
		k.ProvinceCode = c.ProvinceCode
		if province != "" && c.ProvinceCode != province {
			f.Add("commune", c.FullName+" không thuộc tỉnh của bạn")
		}
	}
	if utf8.RuneCountInString(k.Address) > 300 || !utf8.ValidString(k.Address) {
		f.Add("address", "địa chỉ dài quá 300 ký tự")
	}
	if utf8.RuneCountInString(k.Hours) > 200 || !utf8.ValidString(k.Hours) {
		f.Add("hours", "giờ làm việc dài quá 200 ký tự")
	}
	if !deskPhone.MatchString(k.Phone) {
		f.Add("phone", "số điện thoại chỉ gồm chữ số, dấu cách, . + ( ) -, tối đa 20 ký tự")
	}
	return f
}

// CheckOffice normalises a post office and returns its problems by field
// (code, name, commune, position).
func CheckOffice(o *PostOffice, set *units.Set, province string) errs.Fields {
	f := errs.Fields{}
	o.Code = strings.TrimSpace(o.Code)
	o.Name = strings.TrimSpace(vntext.NFC(o.Name))
	o.CommuneCode = strings.TrimSpace(o.CommuneCode)
	if !refCode.MatchString(o.Code) || reservedCodes[strings.ToLower(o.Code)] {
		f.Add("code", fmt.Sprintf("mã “%s” phải gồm 2–40 chữ không dấu, số, dấu chấm, gạch", clipRef(o.Code)))
	}
	if o.Name == "" || utf8.RuneCountInString(o.Name) > 200 || !utf8.ValidString(o.Name) {
		f.Add("name", "tên trống hoặc dài quá 200 ký tự")
	}
	if c, ok := set.Commune(o.CommuneCode); !ok {
		f.Add("commune", fmt.Sprintf("không có xã, phường mã “%s”", clipRef(o.CommuneCode)))
	} else {
		o.ProvinceCode = c.ProvinceCode
		if province != "" && c.ProvinceCode != province {
			f.Add("commune", c.FullName+" không thuộc tỉnh của bạn")
		}
	}
	// Vietnam's mainland and islands lie within 8–24° N, 102–118° E.
	if !(o.Lat >= 8 && o.Lat <= 24 && o.Lng >= 102 && o.Lng <= 118) {
		f.Add("position", fmt.Sprintf("toạ độ (%g, %g) không nằm ở Việt Nam", o.Lat, o.Lng))
	}
	return f
}

// clip shortens what a visitor typed before it is quoted in a message.
func clipRef(s string) string {
	s = strings.ToValidUTF8(s, "�")
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

// SaveDesk creates a desk (create) or edits one (its code never changes).
func (r *Reference) SaveDesk(ctx context.Context, u User, k Desk, create bool) (Desk, error) {
	if err := mayKeepReference(u); err != nil {
		return Desk{}, err
	}
	if err := CheckDesk(&k, r.Units, u.ProvinceCode).Err(errs.Invalid, "Thông tin bộ phận một cửa chưa hợp lệ"); err != nil {
		return Desk{}, err
	}
	err := r.Tx.InTx(ctx, func(ctx context.Context) error {
		if create {
			ok, err := r.Store.CreateDesk(ctx, k)
			if err != nil {
				return err
			}
			if !ok {
				return errs.E(errs.Conflict, "Đã có bộ phận một cửa mã %s", k.Code).WithFields(map[string]string{"code": "mã này đã có"})
			}
		} else {
			old, err := r.Store.FindDesk(ctx, k.Code)
			if errs.Is(err, errs.NotFound) || (err == nil && !inScope(u, old.ProvinceCode)) {
				return errs.E(errs.NotFound, "Không có bộ phận một cửa này trong phạm vi của bạn")
			} else if err != nil {
				return err
			}
			if err := r.Store.UpsertDesk(ctx, k); err != nil {
				return err
			}
		}
		action := AuditDeskUpdated
		if create {
			action = AuditDeskCreated
		}
		return r.Store.InsertAudit(ctx, u.ID, action, "desk:"+k.Code, k.Name, r.Now())
	})
	if err != nil {
		return Desk{}, err
	}
	return r.Store.FindDesk(ctx, k.Code)
}

// SetDeskActive deactivates a desk (it receives no new dossier; what it
// holds stays its own) or reactivates it.
func (r *Reference) SetDeskActive(ctx context.Context, u User, code string, active bool, note string) error {
	k, err := r.Desk(ctx, u, code)
	if err != nil {
		return err
	}
	return r.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := r.Store.SetDeskActive(ctx, k.Code, active); err != nil {
			return err
		}
		action := AuditDeskInactive
		if active {
			action = AuditDeskActive
		}
		return r.Store.InsertAudit(ctx, u.ID, action, "desk:"+k.Code, clipNote(note), r.Now())
	})
}

// SaveOffice creates or edits a post office (its zone is kept on the zone page).
func (r *Reference) SaveOffice(ctx context.Context, u User, o PostOffice, create bool) (PostOffice, error) {
	if err := mayKeepReference(u); err != nil {
		return PostOffice{}, err
	}
	if err := CheckOffice(&o, r.Units, u.ProvinceCode).Err(errs.Invalid, "Thông tin bưu cục chưa hợp lệ"); err != nil {
		return PostOffice{}, err
	}
	err := r.Tx.InTx(ctx, func(ctx context.Context) error {
		if create {
			ok, err := r.Store.CreateOffice(ctx, o)
			if err != nil {
				return err
			}
			if !ok {
				return errs.E(errs.Conflict, "Đã có bưu cục mã %s", o.Code).WithFields(map[string]string{"code": "mã này đã có"})
			}
		} else {
			old, err := r.Store.FindOffice(ctx, o.Code)
			if errs.Is(err, errs.NotFound) || (err == nil && !inScope(u, old.ProvinceCode)) {
				return errs.E(errs.NotFound, "Không có bưu cục này trong phạm vi của bạn")
			} else if err != nil {
				return err
			}
			if err := r.Store.UpsertOffice(ctx, o); err != nil {
				return err
			}
		}
		action := AuditOfficeUpdated
		if create {
			action = AuditOfficeCreated
		}
		return r.Store.InsertAudit(ctx, u.ID, action, "office:"+o.Code, o.Name, r.Now())
	})
	if err != nil {
		return PostOffice{}, err
	}
	return r.Store.FindOffice(ctx, o.Code)
}

// SetOfficeActive deactivates a post office (no new account is made for
// it) or reactivates it.
func (r *Reference) SetOfficeActive(ctx context.Context, u User, code string, active bool, note string) error {
	o, err := r.Office(ctx, u, code)
	if err != nil {
		return err
	}
	return r.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := r.Store.SetOfficeActive(ctx, o.Code, active); err != nil {
			return err
		}
		action := AuditOfficeInactive
		if active {
			action = AuditOfficeActive
		}
		return r.Store.InsertAudit(ctx, u.ID, action, "office:"+o.Code, clipNote(note), r.Now())
	})
}

func clipNote(s string) string {
	s = strings.TrimSpace(vntext.NFC(strings.ToValidUTF8(s, "")))
	if utf8.RuneCountInString(s) > 500 {
		s = string([]rune(s)[:500])
	}
	return s
}

// ImportDesks reads desks from CSV (ParseDesks) and stores them all, or
// none; existing desks are updated (never switched on or off by an import).
func (r *Reference) ImportDesks(ctx context.Context, u User, in io.Reader) (ImportResult, error) {
	if err := mayKeepReference(u); err != nil {
		return ImportResult{}, err
	}
	desks, err := ParseDesks(in, r.Units, u.ProvinceCode)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	err = r.Tx.InTx(ctx, func(ctx context.Context) error {
		res = ImportResult{}
		for _, k := range desks {
			old, err := r.Store.FindDesk(ctx, k.Code)
			switch {
			case errs.Is(err, errs.NotFound):
				res.Created++
			case err != nil:
				return err
			case !inScope(u, old.ProvinceCode):
				return errs.E(errs.Unprocessable, "Mã %s đã thuộc một tỉnh khác; chưa nhập bộ phận nào", k.Code)
			default:
				res.Updated++
			}
			if err := r.Store.UpsertDesk(ctx, k); err != nil {
				return err
			}
		}
		return r.Store.InsertAudit(ctx, u.ID, AuditDesksImported, "desks",
			fmt.Sprintf("%d tạo mới, %d cập nhật", res.Created, res.Updated), r.Now())
	})
	return res, err
}

// ImportOffices reads post offices from CSV (ParseOffices) and stores them
// all, or none, with one audit row.
func (r *Reference) ImportOffices(ctx context.Context, u User, in io.Reader) (ImportResult, error) {
	if err := mayKeepReference(u); err != nil {
		return ImportResult{}, err
	}
	offices, err := ParseOffices(in, r.Units, u.ProvinceCode)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	err = r.Tx.InTx(ctx, func(ctx context.Context) error {
		res = ImportResult{}
		for _, o := range offices {
			old, err := r.Store.FindOffice(ctx, o.Code)
			switch {
			case errs.Is(err, errs.NotFound):
				res.Created++
			case err != nil:
				return err
			case !inScope(u, old.ProvinceCode):
				return errs.E(errs.Unprocessable, "Mã %s đã thuộc một tỉnh khác; chưa nhập bưu cục nào", o.Code)
			default:
				res.Updated++
			}
			if err := r.Store.UpsertOffice(ctx, o); err != nil {
				return err
			}
		}
		return r.Store.InsertAudit(ctx, u.ID, AuditOfficesImported, "offices",
			fmt.Sprintf("%d tạo mới, %d cập nhật", res.Created, res.Updated), r.Now())
	})
	return res, err
}

// deskColumns are the columns of a desk list; the first four are required.
var deskColumns = []string{"code", "name", "level", "commune_code", "address", "hours", "phone", "postal_code"}

// ParseDesks reads desks from CSV with the header
// code,name,level,commune_code[,address,hours,phone,postal_code] (any column order, a
// UTF-8 BOM allowed). Every faulty line is reported as field "line N" of an
// Unprocessable error, naming the line and the reason; no desk is returned
// then. province, when not empty, is the only province the communes may be
// in.
func ParseDesks(in io.Reader, set *units.Set, province string) ([]Desk, error) {
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, errs.E(errs.Unprocessable, "Tệp CSV trống hoặc hỏng: cần dòng tiêu đề %s", strings.Join(deskColumns, ","))
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, w := range deskColumns[:4] {
		if _, ok := col[w]; !ok {
			return nil, errs.E(errs.Unprocessable, "Thiếu cột %q: tiêu đề phải là %s", w, strings.Join(deskColumns, ","))
		}
	}
	f := errs.Fields{}
	var desks []Desk
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		key := "line " + strconv.Itoa(line)
		if err != nil {
			f.Add(key, fmt.Sprintf("Dòng %d không đọc được: %v", line, err))
			if len(f) > 100 {
				break
			}
			continue
		}
		if line-1 > maxOfficeRows {
			return nil, errs.E(errs.Unprocessable, "Tệp có hơn %d bộ phận một cửa", maxOfficeRows)
		}
		get := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return rec[i]
		}
		k := Desk{Code: get("code"), Name: get("name"), Level: get("level"), CommuneCode: get("commune_code"),
			Address: get("address"), Hours: get("hours"), Phone: get("phone"), PostalCode: strings.TrimSpace(get("postal_code"))}
		bad := CheckDesk(&k, set, province)
		var problems []string
		for _, fld := range []string{"code", "name", "level", "commune", "address", "hours", "phone"} {
			if m, ok := bad[fld]; ok {
				problems = append(problems, m)
			}
		}
		if k.PostalCode != "" && !tracking.ValidPostalCode(k.PostalCode) {
			problems = append(problems, fmt.Sprintf("mã bưu chính “%s” phải gồm đúng 5 chữ số", clipRef(k.PostalCode)))
		}
		if _, ok := bad["code"]; !ok {
			if prev, dup := seen[k.Code]; dup {
				problems = append(problems, fmt.Sprintf("mã %s đã có ở dòng %d", k.Code, prev))
			}
		}
		if len(problems) > 0 {
			f.Add(key, fmt.Sprintf("Dòng %d (%s): %s", line, clipRef(k.Code), strings.Join(problems, "; ")))
			if len(f) > 100 {
				break
			}
			continue
		}
		seen[k.Code] = line
		desks = append(desks, k)
	}
	if err := f.Err(errs.Unprocessable, fmt.Sprintf("Tệp có %d dòng lỗi; chưa nhập bộ phận một cửa nào", len(f))); err != nil {
		return nil, err
	}
	if len(desks) == 0 {
		return nil, errs.E(errs.Unprocessable, "Tệp không có bộ phận một cửa nào")
	}
	return desks, nil
}
