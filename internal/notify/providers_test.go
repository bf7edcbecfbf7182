package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/internal/notify"
)

type gatewayCall struct {
	header http.Header
	body   string
	path   string
}

func gateway(t *testing.T, status int, answer string, delay time.Duration) (*httptest.Server, *[]gatewayCall, *sync.Mutex) {
	var calls []gatewayCall
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, gatewayCall{r.Header.Clone(), string(b), r.URL.Path})
		mu.Unlock()
		if delay > 0 {
			time.Sleep(delay)
		}
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &calls, &mu
}

// The HTTP gateway fills its body template with escaped values, sends the
// configured credentials, checks the answer, and never lets the phone, the
// URL or the answer into an error.
func TestHTTPGateway(t *testing.T) {
	ctx := context.Background()
	msg := notify.SMSMessage{ID: "42", Phone: "0912345678", Text: `Ho so "A" & <B> xong`, Unicode: false}

	srv, calls, _ := gateway(t, 200, `{"CodeResult":"100","SMSID":"x"}`, 0)
	g := &notify.HTTPGateway{URL: srv.URL + "/send", Token: "tk-1", Sender: "HOSO", PhoneFormat: "84", OKField: "CodeResult", OKValue: "100"}
	if err := g.SendSMS(ctx, msg); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte((*calls)[0].body), &body); err != nil {
		t.Fatalf("body is not JSON: %s", (*calls)[0].body)
	}
	if body["to"] != "84912345678" || body["text"] != msg.Text || body["sender"] != "HOSO" || body["unicode"] != false || body["id"] != "42" {
		t.Errorf("body %v", body)
	}
	if got := (*calls)[0].header.Get("Authorization"); got != "Bearer tk-1" {
		t.Errorf("auth %q", got)
	}

	// Form body, basic auth, a custom template.
	srv2, calls2, _ := gateway(t, 200, `ok`, 0)
	g2 := &notify.HTTPGateway{URL: srv2.URL, ContentType: "application/x-www-form-urlencoded", User: "u", Password: "p",
		Body: "Phone={{phone}}&Content={{text}}&IsUnicode={{unicode01}}"}
	if err := g2.SendSMS(ctx, notify.SMSMessage{Phone: "0912345678", Text: "Đã giao & xong", Unicode: true}); err != nil {
		t.Fatal(err)
	}
	v, err := url.ParseQuery((*calls2)[0].body)
	if err != nil || v.Get("Phone") != "0912345678" || v.Get("Content") != "Đã giao & xong" || v.Get("IsUnicode") != "1" {
		t.Errorf("form %q (%v)", (*calls2)[0].body, err)
	}
	if u, p, ok := (&http.Request{Header: (*calls2)[0].header}).BasicAuth(); !ok || u != "u" || p != "p" {
		t.Error("basic auth")
	}

	// A key in its own header.
	g3 := &notify.HTTPGateway{URL: srv2.URL, Token: "k", AuthHeader: "X-API-Key"}
	if err := g3.SendSMS(ctx, msg); err != nil || (*calls2)[1].header.Get("X-API-Key") != "k" || (*calls2)[1].header.Get("Authorization") != "" {
		t.Errorf("key header: %v", err)
	}

	checkErr := func(what string, err error, reason string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		if notify.ReasonOf(err) != reason {
			t.Errorf("%s: reason %q, want %q (%v)", what, notify.ReasonOf(err), reason, err)
		}
		for _, leak := range []string{"912345678", "127.0.0.1", "CodeResult", "tk-1"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: error %q leaks %q", what, err, leak)
			}
		}
	}
	// Refused in a 200 answer.
	srv4, _, _ := gateway(t, 200, `{"CodeResult":"101","ErrorMessage":"sai khóa"}`, 0)
	g.URL = srv4.URL
	checkErr("refused", g.SendSMS(ctx, msg), "refused")
	// 500.
	srv5, _, _ := gateway(t, 500, `lỗi nội bộ 0912345678`, 0)
	g.URL = srv5.URL
	checkErr("500", g.SendSMS(ctx, msg), "http_5xx")
	// Timeout.
	srv6, _, _ := gateway(t, 200, `{}`, 300*time.Millisecond)
	g.URL, g.Timeout = srv6.URL, 50*time.Millisecond
	checkErr("timeout", g.SendSMS(ctx, msg), "timeout")
	// A redirect is an answer, not followed.
	srv7, calls7, mu7 := gateway(t, 200, `{}`, 0)
	g.URL, g.Timeout = srv7.URL+"/moved", time.Second
	checkErr("redirect", g.SendSMS(ctx, msg), "redirect")
	mu7.Lock()
	if len(*calls7) != 1 {
		t.Errorf("redirect followed: %d calls", len(*calls7))
	}
	mu7.Unlock()
	// Nothing listening.
	g.URL = "http://127.0.0.1:1/send"
	checkErr("refused connection", g.SendSMS(ctx, msg), "network")
}

// tokenStore keeps the sealed Zalo tokens in memory.
type tokenStore struct {
	mu      sync.Mutex
	access  []byte
	refresh []byte
	expires time.Time
	found   bool
}

func (s *tokenStore) LoadNotifyToken(context.Context, string) ([]byte, []byte, time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access, s.refresh, s.expires, s.found, nil
}

func (s *tokenStore) UpdateNotifyToken(_ context.Context, _ string, _ time.Time,
	fn func(a, r []byte, e time.Time, found bool) ([]byte, []byte, time.Time, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, r, e, err := fn(s.access, s.refresh, s.expires, s.found)
	if err != nil {
		return err
	}
	s.access, s.refresh, s.expires, s.found = a, r, e, true
	return nil
}

// plainBox "seals" by prefixing (the real one is secret.Box).
type plainBox struct{}

func (plainBox) Seal(p, c []byte) []byte { return append(append([]byte{}, c...), p...) }
func (plainBox) Open(s, c []byte) ([]byte, error) {
	return []byte(strings.TrimPrefix(string(s), string(c))), nil
}

// Zalo ZNS: the first send refreshes the token with the configured refresh
// token and stores the rotated pair; later sends reuse the access token; a
// token error refreshes once with the rotated refresh token and retries;
// the phone goes as 84…, with only the template's parameters.
func TestZaloZNS(t *testing.T) {
	var mu sync.Mutex
	var refreshes []string
	var sends []map[string]any
	var tokens []string
	gen := 0
	rejectNext := false
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_ = r.ParseForm()
		if r.Header.Get("secret_key") != "sk" || r.Form.Get("app_id") != "app" || r.Form.Get("grant_type") != "refresh_token" {
			w.WriteHeader(400)
			return
		}
		refreshes = append(refreshes, r.Form.Get("refresh_token"))
		gen++
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at" + string(rune('0'+gen)), "refresh_token": "rt" + string(rune('0'+gen)), "expires_in": "90000"})
	})
	mux.HandleFunc("/send", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var b map[string]any
		_ = json.NewDecoder(r.Body).Decode(&b)
		sends = append(sends, b)
		tokens = append(tokens, r.Header.Get("access_token"))
		if rejectNext {
			rejectNext = false
			_ = json.NewEncoder(w).Encode(map[string]any{"error": -124, "message": "Access token is invalid"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"error": 0, "message": "Success", "data": map[string]any{"msg_id": "m1"}})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ts, err := notify.ParseZNSTemplates("collected=301/dossier_code+time+receipt_url, delivered=302")
	if err != nil {
		t.Fatal(err)
	}
	st := &tokenStore{}
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, vn)
	z := &notify.ZNS{AppID: "app", SecretKey: "sk", InitialRefresh: "rt0", Templates: ts, Store: st, Box: plainBox{},
		SendURL: srv.URL + "/send", TokenURL: srv.URL + "/token", Now: func() time.Time { return now }}
	m, _ := notify.Render(fullParams(notify.Collected))
	ctx := context.Background()
	if err := z.Send(ctx, "7", "0912345678", notify.Collected, m.Data); err != nil {
		t.Fatal(err)
	}
	if err := z.Send(ctx, "8", "0912345678", notify.Collected, m.Data); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(refreshes) != 1 || refreshes[0] != "rt0" || tokens[0] != "at1" || tokens[1] != "at1" {
		t.Errorf("refreshes %v tokens %v", refreshes, tokens)
	}
	if sends[0]["phone"] != "84912345678" || sends[0]["template_id"] != "301" || sends[0]["tracking_id"] != "7" {
		t.Errorf("send %v", sends[0])
	}
	data := sends[0]["template_data"].(map[string]any)
	if len(data) != 3 || data["dossier_code"] != "000.00.19.H12-251120-0001" || data["receipt_url"] == "" {
		t.Errorf("template data %v", data)
	}
	rejectNext = true
	mu.Unlock()
	if err := z.Send(ctx, "9", "0912345678", notify.Collected, m.Data); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(refreshes) != 2 || refreshes[1] != "rt1" || tokens[len(tokens)-1] != "at2" {
		t.Errorf("after a token error: refreshes %v tokens %v", refreshes, tokens)
	}
	mu.Unlock()
	if string(st.refresh) != "notify_tokens.zalort2" {
		t.Errorf("rotated refresh token not stored: %q", st.refresh)
	}
	// A kind without a template is not Zalo's.
	if z.Has(notify.Held) {
		t.Error("Held has no template")
	}
	if _, err := notify.ParseZNSTemplates("nope=1"); err == nil {
		t.Error("unknown kind accepted")
	}

	// Through the notifier: Zalo first; a Zalo refusal falls back to SMS.
	sms := &memSMS{}
	clk := &frozen{now}
	n := newNotifier(newMemStore(), sms, clk)
	n.Zalo = z
	out, err := n.Deliver(ctx, req(notify.Collected, 11))
	if err != nil || out.Channel != notify.ChannelZalo || len(sms.sent) != 0 {
		t.Fatalf("zalo: %+v %v", out, err)
	}
	out, err = n.Deliver(ctx, req(notify.Held, 12))
	if err != nil || out.Channel != notify.ChannelSMS {
		t.Fatalf("no template: %+v %v", out, err)
	}
	z.SendURL = srv.URL + "/nowhere"
	out, err = n.Deliver(ctx, req(notify.Delivered, 13))
	if err != nil || out.Channel != notify.ChannelSMS || !strings.Contains(out.Note, "Zalo lỗi") {
		t.Fatalf("fallback: %+v %v", out, err)
	}
}
