package app

import (
	"context"
	"strconv"
	"time"

	"hoso/internal/errs"
	"hoso/internal/portalsig"
	"hoso/internal/secret"
	"hoso/tracking"
)

// PostalClient is a postal system allowed to pull EMSEVT records, scoped to
// one province or one post office.
type PostalClient struct {
	ID           string
	Name         string
	ProvinceCode string // scope: every parcel handled in this province; or
	OfficeCode   string // scope: every parcel this office handles
	SecretEnc    []byte
	Active       bool
	Demo         bool
	CreatedAt    time.Time
}

// Scope describes the client's scope for messages and logs.
func (c PostalClient) Scope() string {
	if c.OfficeCode != "" {
		return "office:" + c.OfficeCode
	}
	return "province:" + c.ProvinceCode
}

// PostalStore is what the pull API needs.
type PostalStore interface {
	CreatePostalClient(ctx context.Context, c PostalClient) error
	FindPostalClient(ctx context.Context, id string) (PostalClient, error)
	RememberPostalNonce(ctx context.Context, clientID, nonce string, now time.Time, window time.Duration) (bool, error)
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	// PostalEvents returns the events with a UPU code in the client's
	// scope among the transparency log's leaves after index after, up to
	// after+window, in log order (commit order), at most limit; next is the
	// index up to which the leaves were read (a cursor), size the log's
	// size when read.
	PostalEvents(ctx context.Context, c PostalClient, after int64, limit int, window int64) (recs []ExportRecord, next, size int64, err error)
}

// Postal serves postal systems: their credentials and the pull API.
type Postal struct {
	Store PostalStore
	Box   *secret.Box
	Now   func() time.Time
	// Signatory is the EMI signatory policy (tracking.SignatoryRole or
	// SignatoryInitials).
	Signatory string
}

// SealPostalSecret is the context postal clients' secrets are sealed with.
const SealPostalSecret = "postal_clients.secret"

// The pull API's page sizes and how many log leaves one request reads at
// most (a client of a small scope moves its cursor by this much per call
// when nothing of its scope is there).
const (
	PostalDefaultLimit = 500
	PostalMaxLimit     = 5000
	PostalScanWindow   = 20000
)

// CreateClient registers a postal system scoped to a province or an office
// and returns its shared secret, shown once.
func (p *Postal) CreateClient(ctx context.Context, id, name, province, office string, demo bool) (PostalClient, string, error) {
	f := errs.Fields{}
	if !portalIDPattern.MatchString(id) {
		f.Add("id", "2–64 ký tự [A-Za-z0-9_.-]")
	}
	switch {
	case (province == "") == (office == ""):
		f.Add("scope", "chọn đúng một phạm vi: một tỉnh (--province) hoặc một bưu cục (--office)")
	case province != "" && len(province) != 2:
		f.Add("province", "mã tỉnh gồm 2 chữ số")
	case office != "":
		if _, err := p.Store.FindOffice(ctx, office); errs.Is(err, errs.NotFound) {
			f.Add("office", "không có bưu cục mã này")
		} else if err != nil {
			return PostalClient{}, "", err
		}
	}
	if err := f.Err(errs.Invalid, "Hệ thống bưu chính chưa hợp lệ"); err != nil {
		return PostalClient{}, "", err
	}
	sec := secret.Token(32)
	c := PostalClient{ID: id, Name: name, ProvinceCode: province, OfficeCode: office, Active: true, Demo: demo, CreatedAt: p.Now(),
		SecretEnc: p.Box.Seal([]byte(sec), []byte(SealPostalSecret+":"+id))}
	if err := p.Store.CreatePostalClient(ctx, c); err != nil {
		return PostalClient{}, "", err
	}
	return c, sec, nil
}

// Authenticate checks a signed request of a postal system exactly as the
// portal API does (portalsig): known active client, fresh timestamp,
// signature, then a nonce not seen within ten minutes. r.PortalID carries
// the X-Postal-Id header.
func (p *Postal) Authenticate(ctx context.Context, r SignedRequest) (PostalClient, error) {
	unauthorized := func(err error) error { return errs.Wrapf(errs.Unauthorized, err, "%s", err.Error()) }
	if r.PortalID == "" || r.Timestamp == "" || r.Nonce == "" || r.Signature == "" {
		return PostalClient{}, unauthorized(portalsig.ErrMissingPostal)
	}
	c, err := p.Store.FindPostalClient(ctx, r.PortalID)
	if errs.Is(err, errs.NotFound) || (err == nil && !c.Active) {
		return PostalClient{}, unauthorized(portalsig.ErrPostalClient)
	}
	if err != nil {
		return PostalClient{}, err
	}
	sec, err := p.Box.Open(c.SecretEnc, []byte(SealPostalSecret+":"+c.ID))
	if err != nil {
		return PostalClient{}, errs.Wrapf(errs.Internal, err, "mở khóa bí mật của hệ thống bưu chính %s", c.ID)
	}
	now := p.Now()
	if err := portalsig.Verify(sec, r.Method, r.PathWithQuery, r.Timestamp, r.Nonce, r.Body, r.Signature, now); err != nil {
		return PostalClient{}, unauthorized(err)
	}
	fresh, err := p.Store.RememberPostalNonce(ctx, c.ID, r.Nonce, now, portalsig.NonceTTL)
	if err != nil {
		return PostalClient{}, err
	}
	if !fresh {
		return PostalClient{}, unauthorized(portalsig.ErrReplay)
	}
	return c, nil
}

// PostalPage is one answer of the pull API.
type PostalPage struct {
	Records []PostalRecord
	// Next is the cursor to send as after to continue; More says whether
	// the log already holds leaves past it.
	Next string
	More bool
}

// ParsePostalCursor reads the after parameter: empty for the beginning,
// else the decimal cursor of a previous page.
func ParsePostalCursor(after string) (int64, error) {
	if after == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(after, 10, 64)
	if err != nil || n < -1 || strconv.FormatInt(n, 10) != after {
		return 0, errs.E(errs.Invalid, "Con trỏ không hợp lệ").WithFields(map[string]string{"after": "giá trị next_cursor của trang trước, hoặc bỏ trống để đọc từ đầu"})
	}
	return n, nil
}

// Events returns the client's events after a cursor in commit order (the
// transparency log's order: an event committed later never gets a smaller
// cursor, so a client that resumes from its last cursor misses nothing and
// sees nothing twice).
func (p *Postal) Events(ctx context.Context, c PostalClient, after string, limit int) (PostalPage, error) {
	cur, err := ParsePostalCursor(after)
	if err != nil {
		return PostalPage{}, err
	}
	if limit == 0 {
		limit = PostalDefaultLimit
	}
	if limit < 1 || limit > PostalMaxLimit {
		return PostalPage{}, errs.E(errs.Invalid, "Số bản ghi mỗi trang không hợp lệ").WithFields(map[string]string{"limit": "từ 1 đến " + strconv.Itoa(PostalMaxLimit)})
	}
	recs, next, size, err := p.Store.PostalEvents(ctx, c, cur, limit, PostalScanWindow)
	if err != nil {
		return PostalPage{}, err
	}
	page := PostalPage{Records: make([]PostalRecord, len(recs)), Next: strconv.FormatInt(next, 10), More: next+1 < size}
	policy := p.Signatory
	if policy == "" {
		policy = tracking.SignatoryRole
	}
	for i, r := range recs {
		page.Records[i] = r.ToPostal(policy)
	}
	return page, nil
}
