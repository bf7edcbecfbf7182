// Package app is the application layer: the services the web adapter and the
// commands call, composing the tracking and dispatch domains with the stores,
// the secrets and the clock. Workflows that span both domains live here.
package app

import (
	"time"

	"hoso/tracking"
)

// Role is a staff role.
type Role string

// The staff roles.
const (
	RoleAdmin      Role = "admin"
	RoleDispatcher Role = "dispatcher"
	RoleCourier    Role = "courier"
	RoleOffice     Role = "post_office"
	RoleDesk       Role = "desk"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleDispatcher, RoleCourier, RoleOffice, RoleDesk}

// ParseRole parses a role name.
func ParseRole(s string) (Role, bool) {
	for _, r := range Roles {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// Label is the role's Vietnamese name.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "Quản trị"
	case RoleDispatcher:
		return "Điều phối"
	case RoleCourier:
		return "Bưu tá"
	case RoleOffice:
		return "Bưu cục"
	case RoleDesk:
		return "Bộ phận một cửa"
	}
	return string(r)
}

// User is a staff account.
type User struct {
	ID           int64
	Username     string
	PasswordHash string
	Role         Role
	FullName     string
	StaffCode    string
	ProvinceCode string // dispatcher's province (and the province of offices and desks)
	OfficeCode   string // courier, post office
	DeskCode     string // desk
	Active       bool
	Demo         bool
	CreatedAt    time.Time
	// MustChangePassword is set by a reset: the temporary password only
	// opens the password page.
	MustChangePassword bool
}

// Party is how the user appears in the ledger.
func (u User) Party() tracking.Party {
	switch u.Role {
	case RoleCourier:
		return tracking.Party{Kind: tracking.PartyCourier, Ref: u.StaffCode}
	case RoleOffice:
		return tracking.Party{Kind: tracking.PartyOffice, Ref: u.OfficeCode}
	case RoleDesk:
		return tracking.Party{Kind: tracking.PartyDesk, Ref: u.DeskCode}
	case RoleDispatcher:
		return tracking.Party{Kind: tracking.PartyDispatcher, Ref: u.StaffCode}
	}
	return tracking.Party{Kind: tracking.PartyAdmin, Ref: u.StaffCode}
}

// Desk is a one-stop desk that receives dossiers.
type Desk struct {
	Code         string
	Name         string
	Level        string // province | commune
	CommuneCode  string
	ProvinceCode string
	Address      string
	Hours        string // opening hours as the desk writes them
	Phone        string // the desk's public phone
	Active       bool   // a deactivated desk receives no new dossier
	PostalCode   string // national postal code (five digits), '' when not known
	Demo         bool
}

// PostOffice is a post office.
type PostOffice struct {
	Code         string
	Name         string
	CommuneCode  string
	ProvinceCode string
	Lat, Lng     float64
	Active       bool   // a deactivated office gets no new account or zone
	Phone        string // shown to citizens beside the papers it holds ("" when unknown)
	PostalCode   string // national postal code (five digits) postal systems know it by; '' when not known
	Demo         bool
}

// PortalClient is a public-service portal allowed to call the API.
type PortalClient struct {
	ID           string
	Name         string
	ProvinceCode string
	SecretEnc    []byte
	// PreviousSecretEnc is the secret before the last rotation, still
	// accepted until PreviousUntil (the overlap window).
	PreviousSecretEnc []byte
	PreviousUntil     *time.Time
	CallbackURL       string
	Active            bool
	Demo              bool
	CreatedAt         time.Time
	// CallbackShape is the shape of its callbacks: ShapeHoso (ours) or
	// ShapeOpenCPS (DongBoHoSoMC).
	CallbackShape string
}

// Parcel is a stored parcel as services see it: personal data stays sealed
// or hashed; PhoneEnc opens only through the Intake service, with an audit
// record.
type Parcel struct {
	ID             string
	Number         string
	Leg            tracking.Leg
	Status         tracking.Status
	Channel        tracking.Channel
	PortalClient   string
	CreatedBy      int64
	DossierID      string
	Dossier        tracking.Dossier
	CitizenName    string
	PhoneEnc       []byte
	PhoneLast3     string
	IDLast3        string
	ProvinceCode   string
	CommuneCode    string
	AddressLine    string
	Lat, Lng       float64
	LocationApprox bool
	DeskCode       string
	OfficeCode     string
	ReturnOf       string
	FeeAmount      int64
	Documents      []tracking.Document
	Windows        []tracking.Window
	EventCount     int
	LastHash       []byte
	Demo           bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	StatusSince    time.Time
	Custodian      tracking.Party
	Attempts       int
	SealID         string
	ReceiptCode    string
	CourierRef     string
	PlannedDate    *time.Time
	WindowStart    *time.Time
	WindowEnd      *time.Time
	RiskAt         *time.Time
	RouteStop      int
	Cell           int64 // H3 cell of the address, resolution 9 (0 when unknown)
	Collected      []tracking.DocCount
	// ReportClient is the portal client a citizen's or clerk's request is
	// reported to (the one registered for the desk's province), if any.
	ReportClient string
}

// ParcelFilter selects parcels.
type ParcelFilter struct {
	DossierCode  string
	DossierKey   string // tracking.DossierKey of a code typed by a person: any case, spaces, dashes
	PortalClient string
	DeskCode     string
	OfficeCode   string
	Status       tracking.Status
	PhoneHash    []byte
	IDLast3      string // the last three digits of the citizen's CCCD
	Leg          tracking.Leg
	Channel      tracking.Channel
	Limit        int
}
