package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Notify configures the outbox relay (portal callbacks and citizen
// notifications) and the notification providers. Load reads it; the
// variables are documented in the README.
type Notify struct {
	Enabled bool // HOSO_NOTIFY (on|off): write and send citizen notifications

	// SMS gateway (HOSO_SMS_PROVIDER=http; HOSO_SMS_URL and HOSO_SMS_TOKEN
	// are read by Load into Config.SMS and copied here).
	SMSProvider    string        // demo | http
	SMSURL         string        // HOSO_SMS_URL
	SMSToken       string        // HOSO_SMS_TOKEN
	SMSMethod      string        // HOSO_SMS_METHOD (POST)
	SMSContentType string        // HOSO_SMS_CONTENT_TYPE (application/json)
	SMSBody        string        // HOSO_SMS_BODY: body template
	SMSAuthHeader  string        // HOSO_SMS_AUTH_HEADER: header for the token instead of Authorization: Bearer
	SMSUser        string        // HOSO_SMS_USER (basic auth)
	SMSPassword    string        // HOSO_SMS_PASSWORD
	SMSSender      string        // HOSO_SMS_SENDER: brand name
	SMSPhoneFormat string        // HOSO_SMS_PHONE_FORMAT: 0 | 84 | +84
	SMSOKField     string        // HOSO_SMS_OK_FIELD: JSON field of a 2xx answer that must hold…
	SMSOKValue     string        // HOSO_SMS_OK_VALUE: …this value
	SMSTimeout     time.Duration // HOSO_SMS_TIMEOUT (10s)

	// Length policy, cap, quiet hours, opt-out.
	UnicodeSegments int           // HOSO_SMS_UNICODE_SEGMENTS (1)
	MaxSegments     int           // HOSO_SMS_MAX_SEGMENTS (2)
	PerDay          int           // HOSO_SMS_PER_DAY (6; 0 = no cap)
	QuietStart      time.Duration // HOSO_QUIET_HOURS (21:00-07:00)
	QuietEnd        time.Duration
	QuietOff        bool   // HOSO_QUIET_HOURS=off
	OptOutReply     string // HOSO_SMS_OPTOUT_REPLY, e.g. "Soạn TC gửi 8079"
	InboundToken    string // HOSO_SMS_INBOUND_TOKEN: bearer token of the gateway's reply webhook

	// Zalo ZNS (on when HOSO_ZALO_APP_ID and HOSO_ZALO_TEMPLATES are set).
	ZaloAppID     string // HOSO_ZALO_APP_ID
	ZaloSecretKey string // HOSO_ZALO_SECRET_KEY
	ZaloRefresh   string // HOSO_ZALO_REFRESH_TOKEN (first refresh token; rotated ones are kept in the database)
	ZaloTemplates string // HOSO_ZALO_TEMPLATES: kind=template_id[/param+param],…
	ZaloSendURL   string // HOSO_ZALO_SEND_URL (override, for tests)
	ZaloTokenURL  string // HOSO_ZALO_TOKEN_URL (override, for tests)

	// Relay.
	Relay           bool          // HOSO_RELAY (on|off): run the relay in this process
	PortalWorkers   int           // HOSO_RELAY_WORKERS (8)
	NotifyWorkers   int           // HOSO_RELAY_NOTIFY_WORKERS (4)
	Poll            time.Duration // HOSO_RELAY_POLL (1s)
	CallbackTimeout time.Duration // HOSO_CALLBACK_TIMEOUT (10s)
	BackoffBase     time.Duration // HOSO_RELAY_BACKOFF_BASE (10s)
	BackoffCap      time.Duration // HOSO_RELAY_BACKOFF_CAP (1h)
	MaxAge          time.Duration // HOSO_RELAY_MAX_AGE (24h): retried at least this long, then dead
	// CallbackAllowPrivate (HOSO_CALLBACK_ALLOW_PRIVATE, off; on in the
	// demo): callbacks may go to loopback and private addresses. Tests and
	// the demo only: otherwise the relay resolves each callback's host just
	// before sending and refuses a non-public address.
	CallbackAllowPrivate bool
}

// DefaultNotify is the configuration with no variable set.
func DefaultNotify() Notify {
	return Notify{Enabled: true, SMSProvider: "demo", SMSMethod: "POST", SMSContentType: "application/json", SMSPhoneFormat: "0",
		SMSTimeout: 10 * time.Second, UnicodeSegments: 1, MaxSegments: 2, PerDay: 6,
		QuietStart: 21 * time.Hour, QuietEnd: 7 * time.Hour,
		Relay: true, PortalWorkers: 8, NotifyWorkers: 4, Poll: time.Second, CallbackTimeout: 10 * time.Second,
		BackoffBase: 10 * time.Second, BackoffCap: time.Hour, MaxAge: 24 * time.Hour}
}

// Load sets n to the defaults, then reads the variables. sms is what Load
// already read (HOSO_SMS_PROVIDER, HOSO_SMS_URL, HOSO_SMS_TOKEN). It returns
// the problems found, in Load's "NAME: what" form.
func (n *Notify) Load(env func(string) string, sms SMS) []string {
	*n = DefaultNotify()
	if sms.Provider != "" {
		n.SMSProvider = sms.Provider
	}
	n.SMSURL, n.SMSToken = sms.URL, sms.Token
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}
	get := func(name string) string { return strings.TrimSpace(env(name)) }
	str := func(name string, dst *string) {
		if v := get(name); v != "" {
			*dst = v
		}
	}
	num := func(name string, dst *int, lo, hi int) {
		if v := get(name); v != "" {
			x, err := strconv.Atoi(v)
			if err != nil || x < lo || x > hi {
				bad(name, "want a whole number from %d to %d, got %q", lo, hi, v)
				return
			}
			*dst = x
		}
	}
	dur := func(name string, dst *time.Duration, lo time.Duration) {
		if v := get(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < lo {
				bad(name, "want a duration of at least %s such as 10s, got %q", lo, v)
				return
			}
			*dst = d
		}
	}
	onOff := func(name string, dst *bool) {
		switch v := strings.ToLower(get(name)); v {
		case "":
		case "on", "true", "1", "yes":
			*dst = true
		case "off", "false", "0", "no":
			*dst = false
		default:
			bad(name, "want on or off, got %q", v)
		}
	}
	onOff("HOSO_NOTIFY", &n.Enabled)
	onOff("HOSO_RELAY", &n.Relay)
	str("HOSO_SMS_METHOD", &n.SMSMethod)
	str("HOSO_SMS_CONTENT_TYPE", &n.SMSContentType)
	str("HOSO_SMS_BODY", &n.SMSBody)
	str("HOSO_SMS_AUTH_HEADER", &n.SMSAuthHeader)
	str("HOSO_SMS_USER", &n.SMSUser)
	str("HOSO_SMS_PASSWORD", &n.SMSPassword)
	str("HOSO_SMS_SENDER", &n.SMSSender)
	str("HOSO_SMS_PHONE_FORMAT", &n.SMSPhoneFormat)
	str("HOSO_SMS_OK_FIELD", &n.SMSOKField)
	str("HOSO_SMS_OK_VALUE", &n.SMSOKValue)
	dur("HOSO_SMS_TIMEOUT", &n.SMSTimeout, time.Second)
	num("HOSO_SMS_UNICODE_SEGMENTS", &n.UnicodeSegments, 1, 10)
	num("HOSO_SMS_MAX_SEGMENTS", &n.MaxSegments, 1, 10)
	num("HOSO_SMS_PER_DAY", &n.PerDay, 0, 1000)
	str("HOSO_SMS_OPTOUT_REPLY", &n.OptOutReply)
	str("HOSO_SMS_INBOUND_TOKEN", &n.InboundToken)
	str("HOSO_ZALO_APP_ID", &n.ZaloAppID)
	str("HOSO_ZALO_SECRET_KEY", &n.ZaloSecretKey)
	str("HOSO_ZALO_REFRESH_TOKEN", &n.ZaloRefresh)
	str("HOSO_ZALO_TEMPLATES", &n.ZaloTemplates)
	str("HOSO_ZALO_SEND_URL", &n.ZaloSendURL)
	str("HOSO_ZALO_TOKEN_URL", &n.ZaloTokenURL)
	num("HOSO_RELAY_WORKERS", &n.PortalWorkers, 1, 256)
	num("HOSO_RELAY_NOTIFY_WORKERS", &n.NotifyWorkers, 1, 256)
	dur("HOSO_RELAY_POLL", &n.Poll, 10*time.Millisecond)
	dur("HOSO_CALLBACK_TIMEOUT", &n.CallbackTimeout, time.Second)
	dur("HOSO_RELAY_BACKOFF_BASE", &n.BackoffBase, 10*time.Millisecond)
	dur("HOSO_RELAY_BACKOFF_CAP", &n.BackoffCap, 10*time.Millisecond)
	dur("HOSO_RELAY_MAX_AGE", &n.MaxAge, time.Second)
	onOff("HOSO_CALLBACK_ALLOW_PRIVATE", &n.CallbackAllowPrivate)

	if v := get("HOSO_QUIET_HOURS"); v != "" {
		if strings.EqualFold(v, "off") {
			n.QuietOff = true
		} else if a, b, ok := strings.Cut(v, "-"); !ok {
			bad("HOSO_QUIET_HOURS", "want HH:MM-HH:MM (may wrap midnight) or off, got %q", v)
		} else if s, err := parseClock(a); err != nil {
			bad("HOSO_QUIET_HOURS", "%v", err)
		} else if e, err := parseClock(b); err != nil {
			bad("HOSO_QUIET_HOURS", "%v", err)
		} else if s == e {
			bad("HOSO_QUIET_HOURS", "start and end are the same")
		} else {
			n.QuietStart, n.QuietEnd = s, e
		}
	}
	switch n.SMSPhoneFormat {
	case "0", "84", "+84":
	default:
		bad("HOSO_SMS_PHONE_FORMAT", "want 0, 84 or +84, got %q", n.SMSPhoneFormat)
	}
	if n.SMSProvider == "http" {
		if u, err := url.Parse(n.SMSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("HOSO_SMS_URL", "want an absolute http(s) URL")
		}
	}
	if (n.SMSOKField == "") != (n.SMSOKValue == "") {
		bad("HOSO_SMS_OK_FIELD", "set HOSO_SMS_OK_FIELD and HOSO_SMS_OK_VALUE together")
	}
	if n.ZaloAppID != "" || n.ZaloTemplates != "" {
		if n.ZaloAppID == "" || n.ZaloSecretKey == "" || n.ZaloTemplates == "" {
			bad("HOSO_ZALO_APP_ID", "Zalo ZNS needs HOSO_ZALO_APP_ID, HOSO_ZALO_SECRET_KEY and HOSO_ZALO_TEMPLATES")
		}
	}
	if n.BackoffCap < n.BackoffBase {
		bad("HOSO_RELAY_BACKOFF_CAP", "must not be shorter than HOSO_RELAY_BACKOFF_BASE")
	}
	return problems
}

// Zalo reports whether Zalo ZNS is configured.
func (n Notify) Zalo() bool {
	return n.ZaloAppID != "" && n.ZaloSecretKey != "" && n.ZaloTemplates != ""
}

// LogValue renders the settings with every secret reduced to whether it is
// set.
func (n Notify) LogValue() slog.Value {
	quiet := "off"
	if !n.QuietOff {
		quiet = clock(n.QuietStart) + "-" + clock(n.QuietEnd)
	}
	host := ""
	if u, err := url.Parse(n.SMSURL); err == nil {
		host = u.Host
	}
	return slog.GroupValue(
		slog.Bool("enabled", n.Enabled),
		slog.String("sms_provider", n.SMSProvider),
		slog.String("sms_host", host),
		slog.Bool("sms_credentials_set", n.SMSToken != "" || n.SMSPassword != ""),
		slog.Int("sms_unicode_segments", n.UnicodeSegments),
		slog.Int("sms_max_segments", n.MaxSegments),
		slog.Int("sms_per_day", n.PerDay),
		slog.String("quiet_hours", quiet),
		slog.Bool("inbound_token_set", n.InboundToken != ""),
		slog.Bool("zalo", n.Zalo()),
		slog.Bool("relay", n.Relay),
		slog.Int("portal_workers", n.PortalWorkers),
		slog.Int("notify_workers", n.NotifyWorkers),
		slog.Duration("callback_timeout", n.CallbackTimeout),
		slog.Bool("callback_allow_private", n.CallbackAllowPrivate),
		slog.Duration("backoff_base", n.BackoffBase),
		slog.Duration("backoff_cap", n.BackoffCap),
		slog.Duration("max_age", n.MaxAge),
	)
}
