// Package config reads the server's settings from environment variables,
// applies defaults, validates them and renders them for the start-up log with
// secrets masked. It is the only place that knows the variable names.
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hoso/internal/translog"
)

// Config is the resolved configuration.
type Config struct {
	DatabaseURL string // HOSO_DATABASE_URL
	DBPoolSize  int    // HOSO_DB_POOL_SIZE
	Addr        string // HOSO_ADDR
	BaseURL     string // HOSO_BASE_URL
	// BaseURLDerived is set when HOSO_BASE_URL was not given and the base
	// URL was made from HOSO_ADDR (the server then fills in the bound port).
	BaseURLDerived bool
	LogLevel       slog.Level    // HOSO_LOG_LEVEL
	Demo           bool          // set by `hoso demo`, never by a variable
	Keys           Keys          // HOSO_DATA_KEY, HOSO_DATA_KEY_PREVIOUS, HOSO_HASH_KEY, HOSO_SESSION_KEY, HOSO_RECEIPT_KEY
	S10            S10           // HOSO_S10_PICKUP, HOSO_S10_RETURN, HOSO_S10_COUNTRY
	Service        ServiceHours  // HOSO_SERVICE_HOURS, HOSO_SERVICE_DAYS
	PublicRate     int           // HOSO_PUBLIC_RATE_PER_MIN
	LoginRate      int           // HOSO_LOGIN_RATE_PER_MIN
	Proxies        []string      // HOSO_TRUSTED_PROXIES
	SessionTTL     time.Duration // HOSO_SESSION_TTL
	TokenTTL       time.Duration // HOSO_COURIER_TOKEN_TTL
	MetricsToken   string        // HOSO_METRICS_TOKEN: bearer token of /metrics (unset: loopback only)
	Security       Security      // lockouts, idle timeout, code budgets (security.go)
	SMS            SMS           // HOSO_SMS_*
	Notify         Notify        // the relay and notification providers (notify.go)
	Citizen        Citizen       // HOSO_HOTLINE (citizen.go)
	MapTiles       MapTiles      // HOSO_MAP_TILES (maptiles.go): off by default
	// Signatory is what an EMI record of a delivery names as its signatory:
	// "role" (the default) or "initials" (HOSO_EMSEVT_SIGNATORY).
	Signatory string
	// Pool is how the instance reaches PostgreSQL beyond the main pool:
	// the relay's pool, a direct URL and the pooler mode.
	Pool Pool

	// The transparency log: HOSO_LOG_ORIGIN, HOSO_LOG_WITNESSES,
	// HOSO_LOG_QUORUM, HOSO_LOG_SEQUENCE_EVERY, HOSO_LOG_CHECKPOINT_EVERY.
	Log TransparencyLog
}

// TransparencyLog configures the transparency log (docs/transparency-log.md);
// its signing key is Keys.Log.
type TransparencyLog struct {
	// Origin is the log's name in its checkpoints and key (a schema-less
	// URL; default the base URL's host and path followed by /api/v1/log).
	// It never changes for a log: witnesses know the log by it.
	Origin string
	// Witnesses are the verifier keys (type 0x04) of the witnesses whose
	// cosignatures the log accepts and publishes.
	Witnesses []string
	// Quorum is how many of them make a checkpoint witnessed (default all).
	Quorum int
	// Retired are the verifier keys of log keys rotated away from, which
	// signed the older checkpoints (HOSO_LOG_RETIRED_KEYS).
	Retired []string
	// SequenceEvery is how often committed events get their leaf index;
	// CheckpointEvery how often a new checkpoint is signed while events
	// arrive (at most a minute).
	SequenceEvery, CheckpointEvery time.Duration
}

// Keys are the secrets. Each is 32 bytes.
type Keys struct {
	Data []byte // AES-256-GCM key for phones and portal secrets at rest
	// DataPrevious is the data key being rotated away from (optional, nil
	// when unset): values it sealed still open until `hoso rekey` has
	// sealed them again with Data. It differs from Data.
	DataPrevious []byte
	Hash         []byte // HMAC key for CCCD and phone lookup hashes
	Session      []byte // HMAC key for CSRF tokens and session ids
	Receipt      []byte // Ed25519 seed for signing receipts
	Log          []byte // Ed25519 seed for signing the transparency log's checkpoints
	// LogPrevious is, during a log key rotation only, the seed of the key
	// being replaced: it signs every checkpoint too (nil when unset).
	LogPrevious []byte
}

// S10 holds the service letters per leg and the country code.
type S10 struct {
	Pickup  string
	Return  string
	Country string
}

// ServiceHours is the part of the day when couriers visit citizens, in
// Vietnam time.
type ServiceHours struct {
	Start time.Duration // offset from midnight
	End   time.Duration
	Days  [7]bool // indexed by time.Weekday
}

// SMS selects the SMS provider.
type SMS struct {
	Provider string // demo | http
	URL      string
	Token    string
}

// Vietnam is the zone all local times are in (no daylight saving).
var Vietnam = time.FixedZone("ICT", 7*3600)

// demoKey derives the published demo secrets; a server that is not the demo
// refuses them.
func demoKey(name string) []byte {
	h := sha256.Sum256([]byte("hoso-demo-key:" + name))
	return h[:]
}

// DemoKeys are the fixed, public keys of the demo.
func DemoKeys() Keys {
	return Keys{Data: demoKey("data"), Hash: demoKey("hash"), Session: demoKey("session"), Receipt: demoKey("receipt"), Log: demoKey("log")}
}

// Pool is the connection settings beyond HOSO_DATABASE_URL and
// HOSO_DB_POOL_SIZE.
type Pool struct {
	// DirectURL (HOSO_DATABASE_DIRECT_URL) reaches PostgreSQL without a
	// pooler, for LISTEN and the migrations' lock; empty: the database URL.
	DirectURL string
	// RelaySize (HOSO_DB_RELAY_POOL_SIZE) is the outbox relay's own pool.
	RelaySize int
	// Transaction (HOSO_DB_POOL_MODE=transaction) says the database URL
	// is a transaction-mode pooler such as PgBouncer.
	Transaction bool
}

// The connection budget of one server instance: the main pool, the
// relay's pool and two listening connections (public timeline changes,
// new outbox rows). Four instances then hold at most 4 × 15 = 60 of
// PostgreSQL's default 100 connections, leaving room for migrations,
// backups, psql and a monitoring agent.
const (
	DefaultPoolSize      = 10
	DefaultRelayPoolSize = 3
	ListenConnections    = 2
)

// ConnectionBudget is the most connections one instance opens.
func (c Config) ConnectionBudget() int {
	return c.DBPoolSize + c.Pool.RelaySize + ListenConnections
}

// Load resolves the configuration from env. demo marks `hoso demo`, which may
// run with the public demo keys.
func Load(env func(string) string, demo bool) (Config, error) {
	c := Config{
		DatabaseURL: "postgres://postgres@127.0.0.1:5432/hoso?sslmode=disable",
		DBPoolSize:  DefaultPoolSize,
		Addr:        ":8080",
		LogLevel:    slog.LevelInfo,
		Demo:        demo,
		S10:         S10{Pickup: "EA", Return: "EB", Country: "VN"},
		PublicRate:  60,
		LoginRate:   10,
		SessionTTL:  12 * time.Hour,
		TokenTTL:    7 * 24 * time.Hour,
		SMS:         SMS{Provider: "demo"},
		Signatory:   "role",
	}
	c.Service = ServiceHours{Start: 7*time.Hour + 30*time.Minute, End: 17*time.Hour + 30*time.Minute}
	for d := time.Monday; d <= time.Saturday; d++ {
		c.Service.Days[d] = true
	}
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}
	str := func(name string, dst *string) {
		if v := strings.TrimSpace(env(name)); v != "" {
			*dst = v
		}
	}
	num := func(name string, dst *int, min int) {
		if v := strings.TrimSpace(env(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < min {
				bad(name, "want a whole number ≥ %d, got %q", min, v)
				return
			}
			*dst = n
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v := strings.TrimSpace(env(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				bad(name, "want a positive duration such as 12h, got %q", v)
				return
			}
			*dst = d
		}
	}

	str("HOSO_DATABASE_URL", &c.DatabaseURL)
	num("HOSO_DB_POOL_SIZE", &c.DBPoolSize, 1)
	c.Pool.RelaySize = DefaultRelayPoolSize
	str("HOSO_DATABASE_DIRECT_URL", &c.Pool.DirectURL)
	num("HOSO_DB_RELAY_POOL_SIZE", &c.Pool.RelaySize, 1)
	switch v := strings.TrimSpace(env("HOSO_DB_POOL_MODE")); v {
	case "", "session":
	case "transaction":
		c.Pool.Transaction = true
	default:
		bad("HOSO_DB_POOL_MODE", "want session or transaction, got %q", v)
	}
	str("HOSO_ADDR", &c.Addr)
	str("HOSO_BASE_URL", &c.BaseURL)
	num("HOSO_PUBLIC_RATE_PER_MIN", &c.PublicRate, 1)
	num("HOSO_LOGIN_RATE_PER_MIN", &c.LoginRate, 1)
	dur("HOSO_SESSION_TTL", &c.SessionTTL)
	dur("HOSO_COURIER_TOKEN_TTL", &c.TokenTTL)
	str("HOSO_S10_PICKUP", &c.S10.Pickup)
	str("HOSO_S10_RETURN", &c.S10.Return)
	str("HOSO_S10_COUNTRY", &c.S10.Country)
	str("HOSO_SMS_PROVIDER", &c.SMS.Provider)
	str("HOSO_SMS_URL", &c.SMS.URL)
	str("HOSO_SMS_TOKEN", &c.SMS.Token)
	str("HOSO_METRICS_TOKEN", &c.MetricsToken)

	if v := strings.TrimSpace(env("HOSO_LOG_LEVEL")); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			bad("HOSO_LOG_LEVEL", "want debug, info, warn or error, got %q", v)
		}
	}
	if v := strings.TrimSpace(env("HOSO_TRUSTED_PROXIES")); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				if err := checkProxy(p); err != nil {
					bad("HOSO_TRUSTED_PROXIES", "%v", err)
					continue
				}
				c.Proxies = append(c.Proxies, p)
			}
		}
	}
	problems = append(problems, c.Security.load(env, c.SessionTTL)...)
	problems = append(problems, c.Citizen.load(env)...)
	problems = append(problems, c.MapTiles.load(env)...)
	if v := strings.TrimSpace(env("HOSO_SERVICE_HOURS")); v != "" {
		s, e, err := parseHours(v)
		if err != nil {
			bad("HOSO_SERVICE_HOURS", "%v", err)
		} else {
			c.Service.Start, c.Service.End = s, e
		}
	}
	if v := strings.TrimSpace(env("HOSO_EMSEVT_SIGNATORY")); v != "" {
		if v != "role" && v != "initials" {
			bad("HOSO_EMSEVT_SIGNATORY", "want role or initials, got %q", v)
		} else {
			c.Signatory = v
		}
	}
	if v := strings.TrimSpace(env("HOSO_SERVICE_DAYS")); v != "" {
		days, err := parseDays(v)
		if err != nil {
			bad("HOSO_SERVICE_DAYS", "%v", err)
		} else {
			c.Service.Days = days
		}
	}
	for _, l := range []struct{ name, v string }{{"HOSO_S10_PICKUP", c.S10.Pickup}, {"HOSO_S10_RETURN", c.S10.Return}, {"HOSO_S10_COUNTRY", c.S10.Country}} {
		if len(l.v) != 2 || l.v[0] < 'A' || l.v[0] > 'Z' || l.v[1] < 'A' || l.v[1] > 'Z' {
			bad(l.name, "want two capital letters, got %q", l.v)
		}
	}
	if c.S10.Pickup == c.S10.Return {
		bad("HOSO_S10_RETURN", "must differ from HOSO_S10_PICKUP so the legs never share a serial range")
	}
	if c.SMS.Provider != "demo" && c.SMS.Provider != "http" {
		bad("HOSO_SMS_PROVIDER", "want demo or http, got %q", c.SMS.Provider)
	}
	if c.SMS.Provider == "http" && c.SMS.URL == "" {
		bad("HOSO_SMS_URL", "required when HOSO_SMS_PROVIDER=http")
	}
	problems = append(problems, c.Notify.Load(env, c.SMS)...)
	if _, err := url.Parse(c.DatabaseURL); err != nil {
		bad("HOSO_DATABASE_URL", "not a URL")
	}
	if c.BaseURL == "" {
		host := c.Addr
		if strings.HasPrefix(host, ":") {
			host = "localhost" + host
		}
		c.BaseURL = "http://" + host
		c.BaseURLDerived = true
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("HOSO_BASE_URL", "want an absolute http(s) URL, got %q", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")

	demoKeys := DemoKeys()
	key := func(name string, dst *[]byte, demoValue []byte) {
		v := strings.TrimSpace(env(name))
		if v == "" {
			if demo {
				*dst = demoValue
				return
			}
			bad(name, "missing: set 32 random bytes, hex or base64 (for example `openssl rand -hex 32`)")
			return
		}
		b, err := decodeKey(v)
		if err != nil {
			bad(name, "%v", err)
			return
		}
		if bytes.Equal(b, demoValue) && !demo {
			bad(name, "is the public demo key; set a secret of your own")
			return
		}
		*dst = b
	}
	key("HOSO_DATA_KEY", &c.Keys.Data, demoKeys.Data)
	if strings.TrimSpace(env("HOSO_DATA_KEY_PREVIOUS")) != "" {
		// Optional, validated like the data key; no demo default.
		key("HOSO_DATA_KEY_PREVIOUS", &c.Keys.DataPrevious, demoKeys.Data)
		if c.Keys.DataPrevious != nil && bytes.Equal(c.Keys.DataPrevious, c.Keys.Data) {
			bad("HOSO_DATA_KEY_PREVIOUS", "equals HOSO_DATA_KEY; set it to the key being rotated away from, or leave it unset")
		}
	}
	key("HOSO_HASH_KEY", &c.Keys.Hash, demoKeys.Hash)
	key("HOSO_SESSION_KEY", &c.Keys.Session, demoKeys.Session)
	key("HOSO_RECEIPT_KEY", &c.Keys.Receipt, demoKeys.Receipt)
	key("HOSO_LOG_KEY", &c.Keys.Log, demoKeys.Log)
	if strings.TrimSpace(env("HOSO_LOG_KEY_PREVIOUS")) != "" {
		key("HOSO_LOG_KEY_PREVIOUS", &c.Keys.LogPrevious, demoKeys.Log)
		if c.Keys.LogPrevious != nil && bytes.Equal(c.Keys.LogPrevious, c.Keys.Log) {
			bad("HOSO_LOG_KEY_PREVIOUS", "equals HOSO_LOG_KEY; set it to the key being rotated away from, or leave it unset")
		}
	}
	c.Log = TransparencyLog{SequenceEvery: time.Second, CheckpointEvery: time.Minute}
	str("HOSO_LOG_ORIGIN", &c.Log.Origin)
	if c.Log.Origin == "" {
		if u, err := url.Parse(c.BaseURL); err == nil {
			c.Log.Origin = strings.TrimRight(u.Host+u.Path, "/") + "/api/v1/log"
		}
	}
	if !translog.ValidName(c.Log.Origin) {
		bad("HOSO_LOG_ORIGIN", "want a schema-less URL without spaces or +, such as hoso.example.vn/api/v1/log; got %q", c.Log.Origin)
	}
	if v := strings.TrimSpace(env("HOSO_LOG_WITNESSES")); v != "" {
		names := map[string]bool{}
		for _, w := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
			name, err := translog.ParseWitnessVkey(w)
			switch {
			case err != nil:
				bad("HOSO_LOG_WITNESSES", "%v", err)
			case names[name]:
				bad("HOSO_LOG_WITNESSES", "witness %s given twice", name)
			default:
				names[name] = true
				c.Log.Witnesses = append(c.Log.Witnesses, w)
			}
		}
	}
	if v := strings.TrimSpace(env("HOSO_LOG_RETIRED_KEYS")); v != "" {
		c.Log.Retired = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	}
	num("HOSO_LOG_QUORUM", &c.Log.Quorum, 1)
	if c.Log.Quorum > len(c.Log.Witnesses) {
		bad("HOSO_LOG_QUORUM", "%d, but HOSO_LOG_WITNESSES names %d witness(es)", c.Log.Quorum, len(c.Log.Witnesses))
	}
	dur("HOSO_LOG_SEQUENCE_EVERY", &c.Log.SequenceEvery)
	dur("HOSO_LOG_CHECKPOINT_EVERY", &c.Log.CheckpointEvery)
	if c.Log.CheckpointEvery > time.Minute {
		bad("HOSO_LOG_CHECKPOINT_EVERY", "at most 1m: a new checkpoint at least every minute while events arrive")
	}
	if len(problems) > 0 {
		return Config{}, errors.New("configuration: " + strings.Join(problems, "; "))
	}
	return c, nil
}

// Secure reports whether the public URL is HTTPS (cookies get Secure).
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

func decodeKey(v string) ([]byte, error) {
	if b, err := hex.DecodeString(v); err == nil {
		if len(b) != 32 {
			return nil, fmt.Errorf("hex key is %d bytes, want 32", len(b))
		}
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("base64 key is %d bytes, want 32", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("want 32 bytes as 64 hex digits or base64")
}

func parseHours(v string) (start, end time.Duration, err error) {
	a, b, ok := strings.Cut(v, "-")
	if !ok {
		return 0, 0, fmt.Errorf("want HH:MM-HH:MM, got %q", v)
	}
	if start, err = parseClock(a); err != nil {
		return 0, 0, err
	}
	if end, err = parseClock(b); err != nil {
		return 0, 0, err
	}
	if end <= start {
		return 0, 0, fmt.Errorf("end %s is not after start %s", b, a)
	}
	return start, end, nil
}

func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

func parseDays(v string) ([7]bool, error) {
	var days [7]bool
	names := map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
	for _, p := range strings.Split(strings.ToLower(v), ",") {
		d, ok := names[strings.TrimSpace(p)]
		if !ok {
			return days, fmt.Errorf("unknown day %q (want mon,tue,…,sun)", p)
		}
		days[d] = true
	}
	return days, nil
}

// LogValue renders the configuration for the start-up log: every setting,
// secrets replaced by a short fingerprint, the database password hidden.
func (c Config) LogValue() slog.Value {
	db := c.DatabaseURL
	if u, err := url.Parse(db); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		db = u.String()
	}
	direct := c.Pool.DirectURL
	if u, err := url.Parse(direct); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		direct = u.String()
	}
	mode := "session"
	if c.Pool.Transaction {
		mode = "transaction"
	}
	fp := func(b []byte) string {
		if c.Demo {
			return "demo"
		}
		h := sha256.Sum256(b)
		return "set (sha256 " + hex.EncodeToString(h[:3]) + "…)"
	}
	fpOptional := func(b []byte) string {
		if len(b) == 0 {
			return "unset"
		}
		return fp(b)
	}
	return slog.GroupValue(
		slog.String("database_url", db),
		slog.Int("db_pool_size", c.DBPoolSize),
		slog.String("database_direct_url", direct),
		slog.String("db_pool_mode", mode),
		slog.Int("db_relay_pool_size", c.Pool.RelaySize),
		slog.Int("db_connection_budget", c.ConnectionBudget()),
		slog.String("addr", c.Addr),
		slog.String("base_url", c.BaseURL),
		slog.String("hotline", c.Citizen.Hotline),
		slog.String("map_tiles", c.MapTiles.Origin),
		slog.String("log_level", c.LogLevel.String()),
		slog.Bool("demo", c.Demo),
		slog.String("data_key", fp(c.Keys.Data)),
		slog.String("data_key_previous", fpOptional(c.Keys.DataPrevious)),
		slog.String("hash_key", fp(c.Keys.Hash)),
		slog.String("session_key", fp(c.Keys.Session)),
		slog.String("receipt_key", fp(c.Keys.Receipt)),
		slog.String("log_key", fp(c.Keys.Log)),
		slog.String("log_key_previous", fpOptional(c.Keys.LogPrevious)),
		slog.Int("log_retired_keys", len(c.Log.Retired)),
		slog.String("log_origin", c.Log.Origin),
		slog.Int("log_witnesses", len(c.Log.Witnesses)),
		slog.Int("log_quorum", c.Log.Quorum),
		slog.String("s10", c.S10.Pickup+"/"+c.S10.Return+" "+c.S10.Country),
		slog.String("service_hours", fmt.Sprintf("%s-%s", clock(c.Service.Start), clock(c.Service.End))),
		slog.Int("public_rate_per_min", c.PublicRate),
		slog.Int("login_rate_per_min", c.LoginRate),
		slog.Any("trusted_proxies", c.Proxies),
		slog.Any("security", c.Security),
		slog.String("sms_provider", c.SMS.Provider),
		slog.Bool("sms_token_set", c.SMS.Token != ""),
		slog.Bool("metrics_token_set", c.MetricsToken != ""),
		slog.Any("notify", c.Notify),
	)
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}
