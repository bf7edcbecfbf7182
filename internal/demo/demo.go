// Package demo seeds the demo province, Thái Nguyên: one-stop desks, demo
// post offices at commune points, one account per role, a portal client and
// a few hundred pickup requests spread over the coming days. Everything it
// makes is marked demo. It goes through the application services, so the
// ledger of the demo is as real as any other.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/units"
	"hoso/tracking"
)

// Province is the demo province code (Thái Nguyên).
const Province = "19"

// PortalID is the demo portal client.
const PortalID = "dvc-thainguyen"

// Account is a demo login.
type Account struct {
	Username, Password string
	Role               app.Role
	Office, Desk       string
	FullName           string
}

// Accounts are the demo logins, printed by `hoso demo`.
var Accounts = []Account{
	{"quantri", "quantri-demo-2026", app.RoleAdmin, "", "", "Quản trị hệ thống"},
	{"dieuphoi", "dieuphoi-demo-2026", app.RoleDispatcher, "BC-05443", "", "Điều phối viên"},
	{"buucuc", "buucuc-demo-2026", app.RoleOffice, "BC-05443", "", "Giao dịch viên bưu cục"},
	{"buuta1", "buuta-demo-2026", app.RoleCourier, "BC-05443", "", "Bưu tá tuyến 1"},
	{"buuta2", "buuta-demo-2026", app.RoleCourier, "BC-05443", "", "Bưu tá tuyến 2"},
	{"buuta3", "buuta-demo-2026", app.RoleCourier, "BC-05488", "", "Bưu tá tuyến 3"},
	{"motcua", "motcua-demo-2026", app.RoleDesk, "", "TN-TTPVHCC", "Cán bộ Trung tâm Phục vụ hành chính công"},
	{"motcuaxa", "motcuaxa-demo-2026", app.RoleDesk, "", "TN-MC-05443", "Cán bộ một cửa phường"},
}

// Store is what seeding needs beyond the services.
type Store interface {
	UpsertDesk(ctx context.Context, d app.Desk) error
	UpsertOffice(ctx context.Context, o app.PostOffice) error
	FindPortalClient(ctx context.Context, id string) (app.PortalClient, error)
	FindUserByUsername(ctx context.Context, username string) (app.User, error)
	Meta(ctx context.Context, key string) (string, bool, error)
	SetMeta(ctx context.Context, key, value string, at time.Time) error
}

// Seeder seeds the demo.
type Seeder struct {
	Store Store
	// Wiring builds the services the seeder acts through (app.NewServices),
	// as the server has them: the demo courier's events take the app's path
	// (signature, proof checks, scope), journeys run them on a clock moved
	// by hand.
	Wiring app.Wiring
	Seed   uint64

	svc *app.Services
}

// services are the seeder's services at the wiring's clock.
func (s *Seeder) services() *app.Services {
	if s.svc == nil {
		s.svc = app.NewServices(s.Wiring)
	}
	return s.svc
}

// Result is what a newcomer needs to log in and call the API.
type Result struct {
	PortalID, PortalSecret string
	Created                bool
	Pickups                int
}

// desk communes: the provincial centre sits in Phan Đình Phùng.
var deskCommunes = []string{"05443", "05455", "05467", "05482", "05488", "05500", "05518", "05692"}
var officeCommunes = []string{"05443", "05455", "05488", "05500", "05518", "05692"}

// Run seeds once; a second run only reads back the portal secret.
func (s *Seeder) Run(ctx context.Context, pickups int) (Result, error) {
	if _, done, err := s.Store.Meta(ctx, "demo.seeded"); err != nil {
		return Result{}, err
	} else if done {
		c, err := s.Store.FindPortalClient(ctx, PortalID)
		if err != nil {
			return Result{}, err
		}
		sec, err := s.services().Portal.Secret(c)
		if err != nil {
			return Result{}, err
		}
		return Result{PortalID: PortalID, PortalSecret: string(sec)}, nil
	}
	pv, ok := s.Wiring.Units.Province(Province)
	if !ok {
		return Result{}, fmt.Errorf("demo: province %s missing", Province)
	}
	centre, _ := s.Wiring.Units.Commune("05443")
	if err := s.Store.UpsertDesk(ctx, app.Desk{Code: "TN-TTPVHCC", Name: "Trung tâm Phục vụ hành chính công " + strings.ToLower(pv.FullName[:1]) + pv.FullName[1:],
		Level: "province", CommuneCode: centre.Code, ProvinceCode: Province, Address: "Số 1 đường Nha Trang, " + centre.FullName, PostalCode: demoPostalCode("001"), Demo: true}); err != nil {
		return Result{}, fmt.Errorf("demo: desk: %w", err)
	}
	for _, code := range deskCommunes {
		c, ok := s.Wiring.Units.Commune(code)
		if !ok {
			continue
		}
		if err := s.Store.UpsertDesk(ctx, app.Desk{Code: "TN-MC-" + code, Name: "Bộ phận một cửa " + lowerFirst(c.FullName),
			Level: "commune", CommuneCode: code, ProvinceCode: Province, Address: "Trụ sở UBND " + lowerFirst(c.FullName), PostalCode: demoPostalCode(code[2:]), Demo: true}); err != nil {
			return Result{}, fmt.Errorf("demo: desk %s: %w", code, err)
		}
	}
	for _, code := range officeCommunes {
		c, ok := s.Wiring.Units.Commune(code)
		if !ok {
			continue
		}
		if err := s.Store.UpsertOffice(ctx, app.PostOffice{Code: "BC-" + code, Name: "Bưu cục " + c.Name + " (demo)",
			CommuneCode: code, ProvinceCode: Province, Lat: c.Lat, Lng: c.Lng, PostalCode: demoPostalCode(code[2:]), Demo: true}); err != nil {
			return Result{}, fmt.Errorf("demo: office %s: %w", code, err)
		}
	}
	for _, a := range Accounts {
		if _, err := s.Store.FindUserByUsername(ctx, a.Username); err == nil {
			continue
		}
		if _, err := s.services().Auth.CreateUser(ctx, app.NewUser{Username: a.Username, Password: a.Password, FullName: a.FullName,
			Role: a.Role, OfficeCode: a.Office, DeskCode: a.Desk, Demo: true, StaffCode: strings.ToUpper(a.Username)}); err != nil {
			return Result{}, fmt.Errorf("demo: user %s: %w", a.Username, err)
		}
	}
	var sec string
	if c, err := s.Store.FindPortalClient(ctx, PortalID); err == nil {
		b, err := s.services().Portal.Secret(c)
		if err != nil {
			return Result{}, err
		}
		sec = string(b)
	} else if errs.Is(err, errs.NotFound) {
		if _, sec, err = s.services().Portal.CreateClient(ctx, PortalID, "Cổng dịch vụ công tỉnh Thái Nguyên (demo)", Province, "", true); err != nil {
			return Result{}, err
		}
	} else {
		return Result{}, err
	}
	n, err := s.pickups(ctx, pickups)
	if err != nil {
		return Result{}, err
	}
	// Zones, shifts and plans, when the dispatch part is built in.
	if d, ok := any(s).(interface{ SeedDispatch(context.Context) error }); ok {
		if err := d.SeedDispatch(ctx); err != nil {
			return Result{}, err
		}
	}
	j, err := s.journeys(ctx)
	if err != nil {
		return Result{}, err
	}
	n += j
	// The marker last: a seed cut short runs again.
	if err := s.Store.SetMeta(ctx, "demo.seeded", s.Wiring.Now().UTC().Format(time.RFC3339), s.Wiring.Now()); err != nil {
		return Result{}, err
	}
	return Result{PortalID: PortalID, PortalSecret: sec, Created: true, Pickups: n}, nil
}

func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return strings.ToLower(string(r[0])) + string(r[1:])
}

// procedure is a sample of the national catalogue with its document list.
type procedure struct {
	Code, Name string
	Docs       []tracking.Document
}

var procedures = []procedure{
	{"1.001193", "Đăng ký khai sinh", []tracking.Document{
		{Name: "Tờ khai đăng ký khai sinh", Kind: tracking.Original, Count: 1},
		{Name: "Giấy chứng sinh", Kind: tracking.Original, Count: 1}}},
	{"1.000894", "Đăng ký kết hôn", []tracking.Document{
		{Name: "Tờ khai đăng ký kết hôn", Kind: tracking.Original, Count: 1},
		{Name: "Giấy xác nhận tình trạng hôn nhân", Kind: tracking.Original, Count: 1},
		{Name: "Căn cước công dân", Kind: tracking.CertifiedCopy, Count: 2}}},
	{"1.004194", "Đăng ký thường trú", []tracking.Document{
		{Name: "Tờ khai thay đổi thông tin cư trú", Kind: tracking.Original, Count: 1},
		{Name: "Giấy tờ chứng minh chỗ ở hợp pháp", Kind: tracking.CertifiedCopy, Count: 1},
		{Name: "Văn bản đồng ý của chủ hộ", Kind: tracking.Original, Count: 1}}},
	{"1.003003", "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu", []tracking.Document{
		{Name: "Đơn đăng ký, cấp Giấy chứng nhận", Kind: tracking.Original, Count: 1},
		{Name: "Giấy tờ về quyền sử dụng đất", Kind: tracking.Original, Count: 1},
		{Name: "Sơ đồ thửa đất", Kind: tracking.Copy, Count: 1},
		{Name: "Chứng từ thực hiện nghĩa vụ tài chính", Kind: tracking.CertifiedCopy, Count: 1}}},
	{"2.000908", "Cấp bản sao trích lục hộ tịch", []tracking.Document{
		{Name: "Tờ khai cấp bản sao trích lục", Kind: tracking.Original, Count: 1}}},
	{"1.010736", "Cấp phiếu lý lịch tư pháp", []tracking.Document{
		{Name: "Tờ khai yêu cầu cấp phiếu lý lịch tư pháp", Kind: tracking.Original, Count: 1},
		{Name: "Căn cước công dân", Kind: tracking.CertifiedCopy, Count: 1}}},
}

var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý", "Ma", "Hà", "Lường"}
	middleNames = []string{"Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Hồng", "Thanh", "Xuân"}
	givenNames  = []string{"An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Ngọc", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Yến"}
	streets     = []string{"tổ 3", "tổ 7", "xóm Đồng Kiệm", "xóm Bãi Bằng", "đường Hoàng Văn Thụ", "đường Lương Ngọc Quyến", "đường Quang Trung", "ngõ 45 đường Phan Đình Phùng", "thôn Làng Mới", "xóm Cây Thị"}
)

// pickups creates n pickup requests over the next service days through the
// intake service, mixing the three channels.
func (s *Seeder) pickups(ctx context.Context, n int) (int, error) {
	rng := rand.New(rand.NewPCG(s.Seed, 19))
	communes := s.Wiring.Units.CommunesOf(Province)
	slots, err := s.services().Intake.Slots(ctx, "05443", 5)
	if err != nil {
		return 0, err
	}
	var future []app.Slot
	for _, sl := range slots {
		if sl.Window.Start.After(s.Wiring.Now().Add(2 * time.Hour)) {
			future = append(future, sl)
		}
	}
	if len(future) == 0 {
		return 0, fmt.Errorf("demo: no future slots")
	}
	desks := append([]string{"TN-TTPVHCC"}, func() []string {
		var d []string
		for _, c := range deskCommunes {
			d = append(d, "TN-MC-"+c)
		}
		return d
	}()...)
	var clerk int64
	if u, err := s.Store.FindUserByUsername(ctx, "motcua"); err == nil {
		clerk = u.ID
	}
	made := 0
	for i := 0; i < n; i++ {
		pr := procedures[rng.IntN(len(procedures))]
		// Most requests come from the central communes, the rest anywhere.
		var com units.Commune
		if rng.IntN(3) > 0 {
			c, _ := s.Wiring.Units.Commune(deskCommunes[rng.IntN(len(deskCommunes))])
			com = c
		} else {
			com = communes[rng.IntN(len(communes))]
		}
		lat := com.Lat + (rng.Float64()-0.5)*0.02
		lng := com.Lng + (rng.Float64()-0.5)*0.02
		sl := future[rng.IntN(len(future))]
		req := tracking.PickupRequest{
			Dossier: tracking.Dossier{Code: fmt.Sprintf("000.00.19.H%02d-%s-%04d", 50+rng.IntN(40), s.Wiring.Now().In(time.FixedZone("ICT", 7*3600)).Format("060102"), i+1),
				ProcedureCode: pr.Code, ProcedureName: pr.Name, DeskCode: desks[rng.IntN(len(desks))], ReturnByPost: rng.IntN(4) > 0},
			Citizen: tracking.Citizen{FullName: familyNames[rng.IntN(len(familyNames))] + " " + middleNames[rng.IntN(len(middleNames))] + " " + givenNames[rng.IntN(len(givenNames))],
				Phone: fmt.Sprintf("09%08d", rng.IntN(100_000_000))},
			Address:   tracking.Address{ProvinceCode: Province, CommuneCode: com.Code, Line: fmt.Sprintf("Số %d, %s", 1+rng.IntN(200), streets[rng.IntN(len(streets))])},
			Documents: pr.Docs,
			Windows:   []tracking.Window{sl.Window},
		}
		if rng.IntN(5) > 0 {
			req.Address.Lat, req.Address.Lng = &lat, &lng
		}
		if rng.IntN(3) == 0 {
			req.Citizen.IDNumber = fmt.Sprintf("019%09d", rng.IntN(1_000_000_000))
		}
		if rng.IntN(2) == 0 {
			d := s.Wiring.Now().AddDate(0, 0, 10+rng.IntN(20))
			d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
			req.Dossier.LegalDeadline = &d
		}
		switch k := rng.IntN(10); {
		case k < 6:
			req.Channel, req.PortalClient = tracking.ChannelPortal, PortalID
		case k < 8:
			req.Channel = tracking.ChannelCitizen
		default:
			req.Channel, req.CreatedBy = tracking.ChannelClerk, clerk
		}
		if _, err := s.services().Intake.Create(ctx, req); err != nil {
			if errs.Is(err, errs.Unprocessable) || errs.Is(err, errs.Conflict) {
				continue
			}
			return made, fmt.Errorf("demo: pickup %d: %w", i, err)
		}
		made++
	}
	return made, nil
}

// demoPostalCode makes a demo postal code: Thái Nguyên's prefix 24 and
// three digits (of the commune code). Real offices get theirs on import.
func demoPostalCode(three string) string { return "24" + three }
