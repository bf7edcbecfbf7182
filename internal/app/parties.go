package app

import (
	"context"

	"hoso/tracking"
)

// UnitStore finds the units parties belong to.
type UnitStore interface {
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	FindDesk(ctx context.Context, code string) (Desk, error)
	FindUserByStaffCode(ctx context.Context, code string) (User, error)
}

// Parties names the parties of the ledger in one Vietnamese wording: by
// role and unit, never by a person ("Bưu cục Phan Đình Phùng", "Bưu tá Bưu
// cục Phan Đình Phùng"; the role alone when the unit is unknown).
type Parties struct {
	Store UnitStore
}

// Namer returns a namer for one request or page: each party is looked up
// once.
func (n *Parties) Namer(ctx context.Context) tracking.Namer {
	cache := map[tracking.Party]string{}
	return func(p tracking.Party) string {
		if s, ok := cache[p]; ok {
			return s
		}
		s := n.name(ctx, p)
		cache[p] = s
		return s
	}
}

func (n *Parties) name(ctx context.Context, p tracking.Party) string {
	switch p.Kind {
	case tracking.PartyOffice:
		if o, err := n.Store.FindOffice(ctx, p.Ref); err == nil {
			return o.Name
		}
	case tracking.PartyDesk:
		if d, err := n.Store.FindDesk(ctx, p.Ref); err == nil {
			return d.Name
		}
	case tracking.PartyCourier:
		if u, err := n.Store.FindUserByStaffCode(ctx, p.Ref); err == nil && u.OfficeCode != "" {
			if o, err := n.Store.FindOffice(ctx, u.OfficeCode); err == nil {
				return "Bưu tá " + o.Name
			}
		}
	}
	return p.Kind.Label()
}

// Letter names a party in staff letters and reports: the same words, with
// the party's code, which staff need to find the unit or the courier.
func (n *Parties) Letter(ctx context.Context, p tracking.Party) string {
	s := n.name(ctx, p)
	if p.Ref != "" {
		s += " (mã " + p.Ref + ")"
	}
	return s
}
