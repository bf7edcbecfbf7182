package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Zalo Notification Service (ZNS): template messages to the Zalo account
// of a phone number. Each kind we send has a template registered with Zalo
// (its id is configuration) whose parameters take their values from
// Message.Data by name. Access tokens live about a day; the refresh token
// rotates on every refresh, so the pair is kept in the database (sealed) and
// refreshed under a row lock.

// Zalo endpoints.
const (
	ZNSSendURL  = "https://business.openapi.zalo.me/message/template"
	ZNSTokenURL = "https://oauth.zaloapp.com/v4/oa/access_token"
)

// ZNSTemplate is a registered template: its id and, when the template takes
// only some of our parameters, their names (the others are not sent).
type ZNSTemplate struct {
	ID     string
	Params []string
}

// ParseZNSTemplates parses "kind=id[/param+param…],kind=id…".
func ParseZNSTemplates(v string) (map[string]ZNSTemplate, error) {
	out := map[string]ZNSTemplate{}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		kind, rest, ok := strings.Cut(item, "=")
		if !ok || kind == "" || rest == "" {
			return nil, fmt.Errorf("want kind=template_id, got %q", item)
		}
		known := false
		for _, k := range Kinds {
			known = known || k == kind
		}
		if !known {
			return nil, fmt.Errorf("unknown notification kind %q", kind)
		}
		id, params, _ := strings.Cut(rest, "/")
		t := ZNSTemplate{ID: id}
		if params != "" {
			t.Params = strings.Split(params, "+")
		}
		out[kind] = t
	}
	return out, nil
}

// TokenStore keeps a provider's sealed tokens.
type TokenStore interface {
	LoadNotifyToken(ctx context.Context, provider string) (access, refresh []byte, expires time.Time, found bool, err error)
	UpdateNotifyToken(ctx context.Context, provider string, at time.Time,
		fn func(access, refresh []byte, expires time.Time, found bool) ([]byte, []byte, time.Time, error)) error
}

// Sealer seals tokens at rest (secret.Box).
type Sealer interface {
	Seal(plaintext, context []byte) []byte
	Open(sealed, context []byte) ([]byte, error)
}

// ZNS sends Zalo template messages.
type ZNS struct {
	AppID     string
	SecretKey string
	// InitialRefresh seeds the token pair the first time (the OA's refresh
	// token from the Zalo developer console); the stored pair wins after.
	InitialRefresh string
	Templates      map[string]ZNSTemplate
	Store          TokenStore
	Box            Sealer
	SendURL        string // default ZNSSendURL
	TokenURL       string // default ZNSTokenURL
	Timeout        time.Duration
	Client         *http.Client
	Now            func() time.Time

	mu      sync.Mutex
	access  string
	expires time.Time
}

const znsProvider = "zalo"

var sealZalo = []byte("notify_tokens.zalo")

// Has reports whether a kind has a template.
func (z *ZNS) Has(kind string) bool {
	_, ok := z.Templates[kind]
	return ok
}

func (z *ZNS) now() time.Time {
	if z.Now != nil {
		return z.Now()
	}
	return time.Now()
}

func (z *ZNS) client() *http.Client {
	if z.Client != nil {
		return z.Client
	}
	return NoRedirectClient()
}

func (z *ZNS) timeout() time.Duration {
	if z.Timeout > 0 {
		return z.Timeout
	}
	return 10 * time.Second
}

// token returns a valid access token, refreshing when it is missing or ends
// within five minutes.
func (z *ZNS) token(ctx context.Context) (string, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := z.now()
	if z.access != "" && now.Add(5*time.Minute).Before(z.expires) {
		return z.access, nil
	}
	a, _, exp, found, err := z.Store.LoadNotifyToken(ctx, znsProvider)
	if err != nil {
		return "", err
	}
	if found && now.Add(5*time.Minute).Before(exp) {
		if plain, err := z.Box.Open(a, sealZalo); err == nil && len(plain) > 0 {
			z.access, z.expires = string(plain), exp
			return z.access, nil
		}
	}
	return z.refreshLocked(ctx, false)
}

// refreshLocked rotates the token pair under the database row lock. force
// refreshes even when the stored token still looks valid (Zalo said it is
// not).
func (z *ZNS) refreshLocked(ctx context.Context, force bool) (string, error) {
	now := z.now()
	var access string
	var exp time.Time
	err := z.Store.UpdateNotifyToken(ctx, znsProvider, now, func(a, r []byte, e time.Time, found bool) ([]byte, []byte, time.Time, error) {
		if found && !force && now.Add(5*time.Minute).Before(e) {
			// Another server refreshed while we waited for the lock.
			if plain, err := z.Box.Open(a, sealZalo); err == nil && len(plain) > 0 {
				access, exp = string(plain), e
				return a, r, e, nil
			}
		}
		refresh := z.InitialRefresh
		if found {
			plain, err := z.Box.Open(r, sealZalo)
			if err != nil {
				return nil, nil, time.Time{}, fmt.Errorf("open zalo refresh token: %w", err)
			}
			refresh = string(plain)
		}
		if refresh == "" {
			return nil, nil, time.Time{}, &ProviderError{Provider: "zalo", Reason: "config", Msg: "thiếu HOSO_ZALO_REFRESH_TOKEN"}
		}
		na, nr, ttl, err := z.exchange(ctx, refresh)
		if err != nil {
			return nil, nil, time.Time{}, err
		}
		access, exp = na, now.Add(ttl)
		return z.Box.Seal([]byte(na), sealZalo), z.Box.Seal([]byte(nr), sealZalo), exp, nil
	})
	if err != nil {
		return "", err
	}
	z.access, z.expires = access, exp
	return access, nil
}

// exchange trades a refresh token for a new pair.
func (z *ZNS) exchange(ctx context.Context, refresh string) (access, newRefresh string, ttl time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, z.timeout())
	defer cancel()
	u := z.TokenURL
	if u == "" {
		u = ZNSTokenURL
	}
	form := url.Values{"app_id": {z.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", 0, &ProviderError{Provider: "zalo", Reason: "config", Msg: "địa chỉ lấy token không hợp lệ"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("secret_key", z.SecretKey)
	resp, err := z.client().Do(req)
	if err != nil {
		return "", "", 0, transportError("zalo", ctx, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return "", "", 0, httpError("zalo", resp.StatusCode)
	}
	var r struct {
		AccessToken  string          `json:"access_token"`
		RefreshToken string          `json:"refresh_token"`
		ExpiresIn    json.RawMessage `json:"expires_in"` // a number or a string of digits
		Error        int             `json:"error"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.AccessToken == "" || r.RefreshToken == "" {
		code := ""
		if r.Error != 0 {
			code = strconv.Itoa(r.Error)
		}
		return "", "", 0, &ProviderError{Provider: "zalo", Reason: "refused", Code: code, Msg: "không làm mới được access token"}
	}
	secs, _ := strconv.Atoi(strings.Trim(string(r.ExpiresIn), `"`))
	if secs <= 0 {
		secs = 3600
	}
	return r.AccessToken, r.RefreshToken, time.Duration(secs) * time.Second, nil
}

// tokenErrors are the ZNS codes that mean the access token is not (or no
// longer) valid: refresh once and try again.
var tokenErrors = map[int]bool{-124: true, -201: true, -216: true}

// Send sends the template of a kind to a phone. trackingID is echoed by
// Zalo in delivery reports (the outbox row id).
func (z *ZNS) Send(ctx context.Context, trackingID, phone, kind string, data map[string]string) error {
	t, ok := z.Templates[kind]
	if !ok {
		return &ProviderError{Provider: "zalo", Reason: "config", Msg: "không có mẫu ZNS cho " + kind, Permanent: true}
	}
	params := data
	if len(t.Params) > 0 {
		params = map[string]string{}
		for _, p := range t.Params {
			params[p] = data[p]
		}
	}
	tok, err := z.token(ctx)
	if err != nil {
		return err
	}
	code, err := z.post(ctx, tok, trackingID, FormatPhone(phone, "84"), t.ID, params)
	if err == nil {
		return nil
	}
	if tokenErrors[code] {
		z.mu.Lock()
		tok, rerr := z.refreshLocked(ctx, true)
		z.mu.Unlock()
		if rerr != nil {
			return rerr
		}
		_, err = z.post(ctx, tok, trackingID, FormatPhone(phone, "84"), t.ID, params)
	}
	return err
}

func (z *ZNS) post(ctx context.Context, token, trackingID, phone, templateID string, params map[string]string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, z.timeout())
	defer cancel()
	body, err := json.Marshal(map[string]any{"phone": phone, "template_id": templateID, "template_data": params, "tracking_id": trackingID})
	if err != nil {
		return 0, err
	}
	u := z.SendURL
	if u == "" {
		u = ZNSSendURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, &ProviderError{Provider: "zalo", Reason: "config", Msg: "địa chỉ gửi ZNS không hợp lệ", Permanent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("access_token", token)
	resp, err := z.client().Do(req)
	if err != nil {
		return 0, transportError("zalo", ctx, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return 0, httpError("zalo", resp.StatusCode)
	}
	var r struct {
		Error int `json:"error"`
	}
	if err := json.Unmarshal(rb, &r); err != nil {
		return 0, &ProviderError{Provider: "zalo", Reason: "refused", Msg: "câu trả lời không phải JSON"}
	}
	if r.Error != 0 {
		return r.Error, &ProviderError{Provider: "zalo", Reason: "refused", Code: strconv.Itoa(r.Error)}
	}
	return 0, nil
}
