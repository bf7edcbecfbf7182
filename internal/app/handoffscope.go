package app

import (
	"context"
	"encoding/json"
	"fmt"

	"hoso/internal/errs"
	"hoso/tracking"
)

// PartyStore finds the parties a release may name.
type PartyStore interface {
	FindUserByStaffCode(ctx context.Context, code string) (User, error)
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	FindDesk(ctx context.Context, code string) (Desk, error)
	FindManifestHead(ctx context.Context, code string) (Manifest, error)
}

// HandoffScope decides, on the server, who may receive a release: the
// receiver must exist, be active and have the role its kind says (codes are
// matched exactly: another case or a trailing space is another code), and
// must be inside the giver's scope:
//
//   - a post office releases only to its own couriers, or to the desk run of
//     the dossier's desk;
//   - a desk hands a result only to the post of the parcel: the office that
//     serves the citizen's address or one of its couriers (an address in no
//     office's zone: an office of the desk's province or one of its
//     couriers);
//   - a courier releases to an office (its own or the parcel's), to the
//     dossier's desk, or to another courier of its office.
//
// A release to a party that does not exist is invalid (422); one outside
// scope is forbidden (403). Either way nothing is written.
type HandoffScope struct {
	Store PartyStore
}

// Guard is the Ledger's Guard: one check per batch, with the parties it
// looked up kept for the batch.
func (s *HandoffScope) Guard(ctx context.Context) func(LockedParcel, EventInput) error {
	users := map[string]*User{}
	user := func(code string) *User {
		if u, ok := users[code]; ok {
			return u
		}
		var found *User
		if u, err := s.Store.FindUserByStaffCode(ctx, code); err == nil && u.StaffCode == code {
			found = &u
		}
		users[code] = found
		return found
	}
	places := map[tracking.Party]bool{}
	place := func(p tracking.Party) bool {
		if ok, seen := places[p]; seen {
			return ok
		}
		var err error
		ok := false
		switch p.Kind {
		case tracking.PartyOffice:
			var o PostOffice
			o, err = s.Store.FindOffice(ctx, p.Ref)
			ok = err == nil && o.Code == p.Ref
		case tracking.PartyDesk:
			var d Desk
			d, err = s.Store.FindDesk(ctx, p.Ref)
			ok = err == nil && d.Code == p.Ref
		}
		places[p] = ok
		return ok
	}
	provinces := map[tracking.Party]string{}
	provinceOf := func(p tracking.Party) string {
		if v, ok := provinces[p]; ok {
			return v
		}
		v := ""
		switch p.Kind {
		case tracking.PartyOffice:
			if o, err := s.Store.FindOffice(ctx, p.Ref); err == nil {
				v = o.ProvinceCode
			}
		case tracking.PartyDesk:
			if d, err := s.Store.FindDesk(ctx, p.Ref); err == nil {
				v = d.ProvinceCode
			}
		}
		provinces[p] = v
		return v
	}
	return func(lp LockedParcel, in EventInput) error {
		if in.Type != tracking.HandoffReleased {
			return nil
		}
		var d struct {
			To       string `json:"to"`
			Manifest string `json:"manifest"`
		}
		if json.Unmarshal(in.Data, &d) != nil {
			return nil // the rules report malformed data
		}
		to, err := tracking.ParseParty(d.To)
		if err != nil || to.Ref == "" {
			return nil // the rules report it
		}
		var receiver *User
		switch to.Kind {
		case tracking.PartyCourier:
			receiver = user(to.Ref)
			if receiver == nil || receiver.Role != RoleCourier || !receiver.Active {
				return noParty("không có bưu tá đang làm việc mã “%s” (mã phân biệt chữ hoa, chữ thường)", to.Ref)
			}
		case tracking.PartyOffice:
			if !place(to) {
				return noParty("không có bưu cục mã “%s”", to.Ref)
			}
		case tracking.PartyDesk:
			if !place(to) {
				return noParty("không có nơi tiếp nhận mã “%s”", to.Ref)
			}
		default:
			return nil // the rules refuse the kind
		}
		if d.Manifest != "" {
			// A release joins a manifest only of the same two parties,
			// still open.
			m, err := s.Store.FindManifestHead(ctx, d.Manifest)
			if err != nil || m.Giver != in.Actor || m.Receiver != to || m.ClosedAt != nil {
				return errs.E(errs.Unprocessable, "Bảng kê %q không phải bảng kê đang mở từ %s cho %s", d.Manifest, in.Actor.Kind.Label(), to.Kind.Label()).
					WithFields(map[string]string{"data.manifest": "không có bảng kê đang mở này giữa hai bên"})
			}
		}
		p := lp.Parcel
		outside := func(why string) error {
			return errs.E(errs.Forbidden, "Không bàn giao được %s cho %s %s: %s", p.Number, to.Kind.Label(), to.Ref, why)
		}
		switch in.Actor.Kind {
		case tracking.PartyOffice:
			switch {
			case to.Kind == tracking.PartyCourier && receiver.OfficeCode != in.Actor.Ref:
				return outside("bưu cục chỉ bàn giao cho bưu tá của mình")
			case to.Kind == tracking.PartyDesk && to.Ref != p.DeskCode:
				return outside("chuyến đến nơi tiếp nhận chỉ đi đến nơi tiếp nhận của hồ sơ")
			case to.Kind == tracking.PartyOffice:
				return outside("bưu cục chỉ bàn giao cho bưu tá của mình hoặc chuyến đến nơi tiếp nhận của hồ sơ")
			}
		case tracking.PartyDesk:
			if to.Kind == tracking.PartyDesk {
				return outside("bộ phận một cửa chỉ giao kết quả cho bưu điện")
			}
			if p.OfficeCode == "" {
				// An address in no office's zone: the post of the desk's
				// province.
				office := to.Ref
				if receiver != nil {
					office = receiver.OfficeCode
				}
				if provinceOf(tracking.Party{Kind: tracking.PartyOffice, Ref: office}) != provinceOf(in.Actor) || office == "" {
					return outside("kết quả chỉ giao cho bưu điện trong tỉnh của nơi tiếp nhận")
				}
				break
			}
			switch {
			case to.Kind == tracking.PartyCourier && receiver.OfficeCode != p.OfficeCode:
				return outside("kết quả chỉ giao cho bưu tá của bưu cục phụ trách địa chỉ trả kết quả")
			case to.Kind == tracking.PartyOffice && to.Ref != p.OfficeCode:
				return outside("kết quả chỉ giao cho bưu cục phụ trách địa chỉ trả kết quả")
			}
		case tracking.PartyCourier:
			me := user(in.Actor.Ref)
			office := ""
			if me != nil {
				office = me.OfficeCode
			}
			switch {
			case to.Kind == tracking.PartyDesk && to.Ref != p.DeskCode:
				return outside("hồ sơ chỉ giao đến nơi tiếp nhận của nó")
			case to.Kind == tracking.PartyOffice && to.Ref != office && to.Ref != p.OfficeCode:
				return outside("bưu tá chỉ bàn giao cho bưu cục của mình hoặc bưu cục phụ trách hồ sơ")
			case to.Kind == tracking.PartyCourier && (office == "" || receiver.OfficeCode != office):
				return outside("bưu tá chỉ bàn giao cho bưu tá cùng bưu cục")
			}
		}
		return nil
	}
}

func noParty(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return errs.E(errs.Unprocessable, "Bên nhận không tồn tại: %s", msg).WithFields(map[string]string{"data.to": msg})
}
