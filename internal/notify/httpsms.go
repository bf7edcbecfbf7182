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
	"time"
)

// HTTPGateway sends SMS through a provider's HTTP API. Vietnamese gateways
// differ in URL, credentials and body shape, so all three are configuration:
// the body is a template whose placeholders are filled with escaped values
// ({{phone}}, {{text}}, {{id}}, {{sender}}, {{unicode}} as true/false,
// {{unicode01}} as 1/0).
type HTTPGateway struct {
	URL         string
	Method      string // default POST
	ContentType string // application/json (default) or application/x-www-form-urlencoded
	Body        string // default DefaultGatewayBody (JSON) or its form equivalent
	Sender      string // brand name, when the gateway wants one
	// Credentials: a bearer token (or a key in AuthHeader), or basic auth.
	Token      string
	AuthHeader string // e.g. "X-API-Key"; empty sends "Authorization: Bearer <token>"
	User       string
	Password   string
	// PhoneFormat is how the gateway wants numbers: "0" (0912345678,
	// default), "84" (84912345678) or "+84".
	PhoneFormat string
	// OKField and OKValue check a 2xx JSON answer: the field (dot path) must
	// hold the value, e.g. "CodeResult" = "100". Empty: any 2xx is success.
	OKField string
	OKValue string
	Timeout time.Duration // default 10 s
	Client  *http.Client
}

// DefaultGatewayBody is the JSON body sent when none is configured.
const DefaultGatewayBody = `{"to":"{{phone}}","text":"{{text}}","sender":"{{sender}}","unicode":{{unicode}},"id":"{{id}}"}`

// defaultFormBody is the form body sent when none is configured.
const defaultFormBody = `to={{phone}}&text={{text}}&sender={{sender}}&unicode={{unicode01}}&id={{id}}`

// Name is "http".
func (g *HTTPGateway) Name() string { return "http" }

// FormatPhone writes a 0xxxxxxxxx number the way the gateway wants.
func FormatPhone(phone, format string) string {
	local := strings.TrimPrefix(phone, "0")
	switch format {
	case "84":
		return "84" + local
	case "+84":
		return "+84" + local
	}
	return phone
}

func (g *HTTPGateway) form() bool {
	return strings.HasPrefix(strings.ToLower(g.ContentType), "application/x-www-form-urlencoded")
}

// render fills the body template.
func (g *HTTPGateway) render(m SMSMessage) []byte {
	body := g.Body
	if body == "" {
		body = DefaultGatewayBody
		if g.form() {
			body = defaultFormBody
		}
	}
	esc := func(s string) string {
		if g.form() {
			return url.QueryEscape(s)
		}
		b, _ := json.Marshal(s)
		return string(b[1 : len(b)-1])
	}
	u01 := "0"
	if m.Unicode {
		u01 = "1"
	}
	r := strings.NewReplacer("{{phone}}", esc(FormatPhone(m.Phone, g.PhoneFormat)), "{{text}}", esc(m.Text), "{{id}}", esc(m.ID),
		"{{sender}}", esc(g.Sender), "{{unicode}}", strconv.FormatBool(m.Unicode), "{{unicode01}}", u01)
	return []byte(r.Replace(body))
}

func (g *HTTPGateway) client() *http.Client {
	if g.Client != nil {
		return g.Client
	}
	return NoRedirectClient()
}

// NoRedirectClient is an HTTP client that never follows a redirect: a 3xx
// is an answer like any other.
func NoRedirectClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// SendSMS posts one message. The answer's body is read only to check
// OKField and is never logged or returned.
func (g *HTTPGateway) SendSMS(ctx context.Context, m SMSMessage) error {
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	method := g.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, g.URL, bytes.NewReader(g.render(m)))
	if err != nil {
		return &ProviderError{Provider: "http", Reason: "config", Msg: "HOSO_SMS_URL không hợp lệ", Permanent: true}
	}
	ct := g.ContentType
	if ct == "" {
		ct = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "hoso-notify/1")
	switch {
	case g.Token != "" && g.AuthHeader != "":
		req.Header.Set(g.AuthHeader, g.Token)
	case g.Token != "":
		req.Header.Set("Authorization", "Bearer "+g.Token)
	case g.User != "":
		req.SetBasicAuth(g.User, g.Password)
	}
	resp, err := g.client().Do(req)
	if err != nil {
		return transportError("http", ctx, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return httpError("http", resp.StatusCode)
	}
	if g.OKField == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return &ProviderError{Provider: "http", Reason: "refused", Msg: "câu trả lời không phải JSON"}
	}
	got, ok := lookup(v, g.OKField)
	if !ok || got != g.OKValue {
		code := got
		if len(code) > 20 {
			code = code[:20]
		}
		return &ProviderError{Provider: "http", Reason: "refused", Code: code}
	}
	return nil
}

// Send makes the gateway an app.SMSSender (the citizen's one-time codes):
// the text goes as given, in GSM-7 when it can.
func (g *HTTPGateway) Send(ctx context.Context, phone, body string) error {
	_, uni := Segments(body)
	return g.SendSMS(ctx, SMSMessage{Phone: phone, Text: body, Unicode: uni})
}

// lookup walks a dot path in decoded JSON and renders the leaf.
func lookup(v any, path string) (string, bool) {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = m[k]; !ok {
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case nil:
		return "", true
	}
	return fmt.Sprint(v), true
}
