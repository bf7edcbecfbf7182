package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// SMSSender hands a text message to a provider.
type SMSSender interface {
	Send(ctx context.Context, phone, body string) error
}

// SMSMessage is a message as the demo provider keeps it.
type SMSMessage struct {
	ID         string
	PhoneLast3 string
	Body       string
	Provider   string
	Status     string
	CreatedAt  time.Time
}

// Flow is a citizen's request in progress, proven by a one-time code.
type Flow struct {
	DossierCode string
	PhoneEnc    []byte
	PhoneHash   []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
	VerifiedAt  *time.Time
	Attempts    int
	ParcelID    string
	CodeHash    []byte
	Resends     int // times the code was sent again
	// Purpose is FlowRequest (a new request; ParcelID is set once it is
	// made) or FlowSelfService (ParcelID is the parcel it proves).
	Purpose string
}

// Purposes of a flow.
const (
	FlowRequest     = "request"
	FlowSelfService = "selfservice"
)

// CitizenStore is what the citizen's flow needs.
type CitizenStore interface {
	// SpendChallenge records a proof-of-work challenge as spent until it
	// expires; false when it already was.
	SpendChallenge(ctx context.Context, id []byte, expires time.Time) (bool, error)
	CreateFlow(ctx context.Context, tokenHash []byte, f Flow) error
	FindFlow(ctx context.Context, tokenHash []byte, now time.Time) (Flow, error)
	CountFlows(ctx context.Context, phoneHash []byte, since time.Time) (int, error)
	// TakeFlowAttempt counts one code attempt if fewer than max were made
	// and returns the count; ok is false when none is left. Counting before
	// comparing lets no parallel guess slip past the limit.
	TakeFlowAttempt(ctx context.Context, tokenHash []byte, max int) (n int, ok bool, err error)
	AddToCounter(ctx context.Context, scope string, key []byte, day time.Time, limit int) (int, bool, error)
	CounterValue(ctx context.Context, scope string, key []byte, day time.Time) (int, error)
	VerifyFlow(ctx context.Context, tokenHash []byte, at time.Time) error
	FinishFlow(ctx context.Context, tokenHash []byte, parcelID string) error
	// ResendFlow replaces the code of a flow not yet verified that was sent
	// again fewer than max times, resets its tries and moves its end; false
	// when the limit is reached.
	ResendFlow(ctx context.Context, tokenHash, codeHash []byte, at, until time.Time, max int) (int, bool, error)
	// ExtendFlow moves a live flow's end to until (never earlier).
	ExtendFlow(ctx context.Context, tokenHash []byte, until time.Time) error
}

// CitizenFlow lets a citizen ask for a pickup themselves: dossier code and
// phone, a one-time code by SMS, then the request.
type CitizenFlow struct {
	Store   CitizenStore
	Intake  *Intake
	SMS     SMSSender
	Now     func() time.Time
	Zone    *time.Location // of the daily budgets (Vietnam)
	TTL     time.Duration  // default 30 min
	PerHour int            // flows per phone per hour, default 3
	Budget  CodeBudget
}

// CodeBudget bounds the one-time-code messages anyone can make the service
// send: per client address and in all, per day (shared by every instance),
// and the count from one address after which it must also solve a
// proof-of-work challenge.
type CodeBudget struct {
	PerSource      int // per client address per day (default 10)
	PerDay         int // in all per day (default 2000)
	ChallengeAfter int // codes from one address in a day before a challenge is needed (default 2)
}

func (b CodeBudget) withDefaults() CodeBudget {
	if b.PerSource <= 0 {
		b.PerSource = 10
	}
	if b.PerDay <= 0 {
		b.PerDay = 2000
	}
	if b.ChallengeAfter <= 0 {
		b.ChallengeAfter = 2
	}
	return b
}

// Counter scopes of the code budgets.
const (
	scopeCodeSource = "otp_source"
	scopeCodeAll    = "otp_all"
)

func (c *CitizenFlow) day() time.Time {
	if c.Zone == nil {
		return c.Now()
	}
	return c.Now().In(c.Zone)
}

func (c *CitizenFlow) sourceKey(source string) []byte { return c.Intake.Hasher.Sum("source", source) }

// NeedsChallenge reports whether a client address asked for enough codes
// today that its next one needs a solved proof-of-work challenge.
func (c *CitizenFlow) NeedsChallenge(ctx context.Context, source string) (bool, error) {
	n, err := c.Store.CounterValue(ctx, scopeCodeSource, c.sourceKey(source), c.day())
	return n >= c.Budget.withDefaults().ChallengeAfter, err
}

// StartRequest is what the citizen's first form sends, with the client
// address it came from and whether it solved a challenge (checked by the
// web adapter, which issued it).
type StartRequest struct {
	DossierCode, Phone string
	Source             string
	Challenged         bool
}

// ErrChallenge is the kind of refusal that asks for a solved challenge.
var ErrChallenge = errs.E(errs.Forbidden, "Cần hoàn tất bước kiểm tra chống gửi tự động trước khi nhận thêm mã.")

// Limits of the citizen's flow.
const (
	OTPLength      = 6
	OTPMaxAttempts = 5
	// OTPMaxResends is how many times a flow's code may be sent again.
	OTPMaxResends = 2
)

// Resend sends a flow's code again ("gửi lại mã"): a new code replaces the
// old one, the tries start over and the flow has TTL again. At most
// OTPMaxResends times a flow, each counted in the client address's and the
// day's budgets like a first code.
func (c *CitizenFlow) Resend(ctx context.Context, token, source string) (left int, err error) {
	f, err := c.Flow(ctx, token)
	if err != nil {
		return 0, err
	}
	if f.VerifiedAt != nil {
		return 0, errs.E(errs.Conflict, "Số điện thoại đã được xác nhận; không cần mã mới.")
	}
	if f.Resends >= OTPMaxResends {
		return 0, errs.E(errs.RateLimited, "Đã gửi lại mã %d lần, mức tối đa. Nếu vẫn chưa nhận được, hãy bắt đầu lại sau ít phút hoặc gọi tổng đài.", OTPMaxResends)
	}
	b := c.Budget.withDefaults()
	if _, ok, err := c.Store.AddToCounter(ctx, scopeCodeSource, c.sourceKey(source), c.day(), b.PerSource); err != nil {
		return 0, err
	} else if !ok {
		return 0, errs.Wrapf(errs.RateLimited, &RetryAfter{Wait: time.Hour},
			"Địa chỉ mạng này đã yêu cầu %d mã hôm nay, mức tối đa. Vui lòng thử lại vào ngày mai hoặc nhờ bộ phận một cửa tạo yêu cầu.", b.PerSource)
	}
	if _, ok, err := c.Store.AddToCounter(ctx, scopeCodeAll, []byte{0}, c.day(), b.PerDay); err != nil {
		return 0, err
	} else if !ok {
		return 0, errs.E(errs.Unavailable, "Hệ thống đã gửi hết số mã xác nhận cho phép hôm nay. Vui lòng thử lại vào ngày mai hoặc nhờ bộ phận một cửa tạo yêu cầu.")
	}
	phone, err := c.Phone(f)
	if err != nil {
		return 0, err
	}
	code := secret.Digits(OTPLength)
	now := c.Now()
	n, ok, err := c.Store.ResendFlow(ctx, secret.TokenHash(token), c.codeHash(token, code), now, now.Add(c.ttl()), OTPMaxResends)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, errs.E(errs.RateLimited, "Đã gửi lại mã %d lần, mức tối đa. Nếu vẫn chưa nhận được, hãy bắt đầu lại sau ít phút hoặc gọi tổng đài.", OTPMaxResends)
	}
	if err := c.SMS.Send(ctx, phone, CodeMessage(code)); err != nil {
		return 0, errs.Wrapf(errs.Unavailable, err, "Chưa gửi được tin nhắn. Vui lòng thử lại sau ít phút.")
	}
	return OTPMaxResends - n, nil
}

// Start checks the inputs, sends a code and returns the flow token to keep
// in a cookie. The code is never stored in clear, and the message carries
// no text the visitor typed.
func (c *CitizenFlow) Start(ctx context.Context, r StartRequest) (token string, err error) {
	f := errs.Fields{}
	dossierCode := vntext.NFC(r.DossierCode)
	if dossierCode == "" || len([]rune(dossierCode)) > tracking.MaxCode || vntext.HasControl(dossierCode) {
		f.Add("dossier_code", "Nhập mã hồ sơ in trên giấy biên nhận của cổng dịch vụ công")
	}
	p, ok := vntext.NormalizePhone(r.Phone)
	if !ok {
		f.Add("phone", "Số điện thoại phải có 10 chữ số, bắt đầu bằng 0")
	}
	if err := f.Err(errs.Invalid, "Thông tin chưa hợp lệ"); err != nil {
		return "", err
	}
	now := c.Now()
	phoneHash := c.Intake.PhoneHash(p)
	limit := c.PerHour
	if limit <= 0 {
		limit = 3
	}
	n, err := c.Store.CountFlows(ctx, phoneHash, now.Add(-time.Hour))
	if err != nil {
		return "", err
	}
	if n >= limit {
		return "", errs.E(errs.RateLimited, "Số điện thoại này đã nhận %d mã trong một giờ qua. Vui lòng thử lại sau.", n)
	}
	if err := c.takeBudget(ctx, r.Source, r.Challenged); err != nil {
		return "", err
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = 30 * time.Minute
	}
	token = secret.Token(32)
	code := secret.Digits(OTPLength)
	fl := Flow{DossierCode: dossierCode, PhoneEnc: c.Intake.Box.Seal([]byte(p), []byte("citizen_flows.phone")),
		PhoneHash: phoneHash, CreatedAt: now, ExpiresAt: now.Add(ttl), CodeHash: c.codeHash(token, code)}
	if err := c.Store.CreateFlow(ctx, secret.TokenHash(token), fl); err != nil {
		return "", err
	}
	if err := c.SMS.Send(ctx, p, CodeMessage(code)); err != nil {
		return "", errs.Wrapf(errs.Unavailable, err, "Chưa gửi được tin nhắn. Vui lòng thử lại sau ít phút.")
	}
	return token, nil
}

// takeBudget counts one code in the client address's and the day's
// budgets, asking for a solved challenge past the address's free codes.
func (c *CitizenFlow) takeBudget(ctx context.Context, source string, challenged bool) error {
	b := c.Budget.withDefaults()
	if !challenged {
		need, err := c.NeedsChallenge(ctx, source)
		if err != nil {
			return err
		}
		if need {
			return ErrChallenge
		}
	}
	if _, ok, err := c.Store.AddToCounter(ctx, scopeCodeSource, c.sourceKey(source), c.day(), b.PerSource); err != nil {
		return err
	} else if !ok {
		return errs.Wrapf(errs.RateLimited, &RetryAfter{Wait: time.Hour},
			"Địa chỉ mạng này đã yêu cầu %d mã hôm nay, mức tối đa. Vui lòng thử lại vào ngày mai hoặc nhờ bộ phận một cửa tạo yêu cầu.", b.PerSource)
	}
	if _, ok, err := c.Store.AddToCounter(ctx, scopeCodeAll, []byte{0}, c.day(), b.PerDay); err != nil {
		return err
	} else if !ok {
		return errs.E(errs.Unavailable, "Hệ thống đã gửi hết số mã xác nhận cho phép hôm nay. Vui lòng thử lại vào ngày mai hoặc nhờ bộ phận một cửa tạo yêu cầu.")
	}
	return nil
}

// CodeMessage is the one-time code's SMS: fixed words and the code, never
// anything a visitor typed (the dossier code is free text).
func CodeMessage(code string) string {
	return fmt.Sprintf("Ma xac nhan %s cho yeu cau thu gom ho so tai nha qua buu dien. Hieu luc 30 phut. Khong chia se ma nay.", code)
}

func (c *CitizenFlow) codeHash(token, code string) []byte {
	return c.Intake.Hasher.Sum("otp", token+":"+code)
}

// Flow returns the flow of a token.
func (c *CitizenFlow) Flow(ctx context.Context, token string) (Flow, error) {
	if token == "" {
		return Flow{}, errs.E(errs.NotFound, "Phiên yêu cầu đã hết hạn. Vui lòng bắt đầu lại.")
	}
	f, err := c.Store.FindFlow(ctx, secret.TokenHash(token), c.Now())
	if errs.Is(err, errs.NotFound) {
		return Flow{}, errs.E(errs.NotFound, "Phiên yêu cầu đã hết hạn. Vui lòng bắt đầu lại.")
	}
	return f, err
}

// Verify checks the code the citizen typed; after OTPMaxAttempts wrong codes
// the flow is dead.
func (c *CitizenFlow) Verify(ctx context.Context, token, code string) error {
	f, err := c.Flow(ctx, token)
	if err != nil {
		return err
	}
	if f.VerifiedAt != nil {
		return nil
	}
	n, ok, err := c.Store.TakeFlowAttempt(ctx, secret.TokenHash(token), OTPMaxAttempts)
	if err != nil {
		return err
	}
	if !ok {
		return errs.E(errs.RateLimited, "Đã nhập sai mã quá %d lần. Vui lòng bắt đầu lại.", OTPMaxAttempts)
	}
	code = strings.TrimSpace(code)
	if !secret.Equal(c.codeHash(token, code), f.CodeHash) {
		left := OTPMaxAttempts - n
		return errs.E(errs.Invalid, "Mã xác nhận không đúng").WithFields(map[string]string{"code": fmt.Sprintf("Mã không đúng, còn %d lần thử", left)})
	}
	if err := c.Store.VerifyFlow(ctx, secret.TokenHash(token), c.Now()); err != nil {
		return err
	}
	// Proving the phone starts the time to fill the form afresh.
	return c.Store.ExtendFlow(ctx, secret.TokenHash(token), c.Now().Add(c.ttl()))
}

func (c *CitizenFlow) ttl() time.Duration {
	if c.TTL <= 0 {
		return 30 * time.Minute
	}
	return c.TTL
}

// Touch keeps a verified flow alive while the citizen works on the form:
// each page of it moves the end to TTL from now. It returns the new end.
func (c *CitizenFlow) Touch(ctx context.Context, token string, f Flow) (time.Time, error) {
	until := c.Now().Add(c.ttl())
	if f.VerifiedAt == nil {
		return f.ExpiresAt, nil
	}
	return until, c.Store.ExtendFlow(ctx, secret.TokenHash(token), until)
}

// draftContext binds a sealed draft of the request form to its use.
var draftContext = []byte("citizen_draft.v1")

// SealDraft seals what a citizen typed into the request form when the
// flow ended under them, to be kept in their browser only (it holds their
// name and address) and put back once they prove the phone again.
func (c *CitizenFlow) SealDraft(form []byte) []byte { return c.Intake.Box.Seal(form, draftContext) }

// OpenDraft opens a sealed draft; anything else is an error.
func (c *CitizenFlow) OpenDraft(sealed []byte) ([]byte, error) {
	return c.Intake.Box.Open(sealed, draftContext)
}

// Phone opens the flow's phone.
func (c *CitizenFlow) Phone(f Flow) (string, error) {
	b, err := c.Intake.Box.Open(f.PhoneEnc, []byte("citizen_flows.phone"))
	if err != nil {
		return "", errs.Wrapf(errs.Internal, err, "mở số điện thoại")
	}
	return string(b), nil
}

// Submit creates the pickup of a verified flow. The request's dossier code
// and phone come from the flow, never from the form.
func (c *CitizenFlow) Submit(ctx context.Context, token string, req tracking.PickupRequest) (Parcel, error) {
	f, err := c.Flow(ctx, token)
	if err != nil {
		return Parcel{}, err
	}
	if f.VerifiedAt == nil {
		return Parcel{}, errs.E(errs.Forbidden, "Cần nhập mã xác nhận trước")
	}
	if f.Purpose == FlowSelfService {
		return Parcel{}, errs.E(errs.Forbidden, "Mã xác nhận này dùng cho việc thay đổi một bưu gửi, không dùng để tạo yêu cầu mới")
	}
	if f.ParcelID != "" {
		return c.Intake.Store.FindParcel(ctx, f.ParcelID)
	}
	phone, err := c.Phone(f)
	if err != nil {
		return Parcel{}, err
	}
	req.Dossier.Code = f.DossierCode
	req.Citizen.Phone = phone
	req.Channel = tracking.ChannelCitizen
	req.PortalClient = ""
	p, err := c.Intake.Create(ctx, req)
	if err != nil {
		return Parcel{}, err
	}
	if err := c.Store.FinishFlow(ctx, secret.TokenHash(token), p.ID); err != nil {
		return Parcel{}, err
	}
	return p, nil
}

// DemoSMS is the demo provider: it keeps every message so staff can read it
// on a page. The phone is sealed like everywhere else.
type DemoSMS struct {
	Store interface {
		InsertSMS(ctx context.Context, id string, phoneEnc []byte, last3, body, provider, status string, at time.Time) error
	}
	Box   *secret.Box
	Now   func() time.Time
	NewID func() string
}

// Send stores the message.
func (s *DemoSMS) Send(ctx context.Context, phone, body string) error {
	last3 := ""
	if len(phone) >= 3 {
		last3 = phone[len(phone)-3:]
	}
	return s.Store.InsertSMS(ctx, s.NewID(), s.Box.Seal([]byte(phone), []byte("sms_messages.phone")), last3, body, "demo", "stored", s.Now())
}

// SpendChallenge records a proof-of-work challenge of the citizen's
// request form as spent (false: it was already).
func (f *CitizenFlow) SpendChallenge(ctx context.Context, id []byte, expires time.Time) (bool, error) {
	return f.Store.SpendChallenge(ctx, id, expires)
}
