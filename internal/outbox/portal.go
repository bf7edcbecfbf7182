package outbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"hoso/internal/app"
	"hoso/internal/portalsig"
)

// Directory tells where a portal client's callbacks go, with which shared
// secret they are signed and in which shape (app.Portal.CallbackTarget). An
// empty URL means the client has none.
type Directory interface {
	CallbackTarget(ctx context.Context, client string) (app.CallbackTarget, error)
}

// PortalSender POSTs callbacks to portals, signed as the contract says:
// X-Hoso-Id (the client id), X-Timestamp, X-Nonce and X-Signature =
// hex(HMAC-SHA256(secret, POST \n PATH?QUERY \n TIMESTAMP \n NONCE \n
// hex(SHA-256(body)))). The body is the stored payload, byte for byte, so
// every attempt of an event carries the same event_id and content. Redirects
// are not followed; the response body is read (to reuse the connection) and
// dropped, never logged or stored.
type PortalSender struct {
	Dir    Directory
	Client *http.Client
	Now    func() time.Time
	// CacheFor keeps a client's URL and secret in memory this long (default
	// 30 s), so a burst of callbacks does not open the secret each time.
	CacheFor time.Duration
	// AllowPrivate lets callbacks go to loopback, private, link-local and
	// multicast addresses (HOSO_CALLBACK_ALLOW_PRIVATE: tests and the demo
	// only). Without it the host is resolved again just before each send
	// and a non-public address is refused (DNS rebinding: the name was
	// public when the admin set it).
	AllowPrivate bool
	// Resolve looks a host up (default: the system resolver).
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)

	mu    sync.Mutex
	cache map[string]target
}

type target struct {
	url    string
	secret []byte
	shape  string
	until  time.Time
}

// NewPortalClient is an HTTP client for callbacks: a dial and header
// timeout, connection reuse, and no redirects.
func NewPortalClient(timeout time.Duration, conns int) *http.Client {
	if conns <= 0 {
		conns = 8
	}
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	guarded := *d
	guarded.Control = refusePrivate
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		// A request marked by publicOnly connects only to a public address:
		// the check is made on the address actually dialled, after the
		// resolver's answer, so a name that changes its answer between the
		// send-time check and the connection (DNS rebinding) is refused.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if ctx.Value(publicOnlyKey{}) != nil {
				return guarded.DialContext(ctx, network, addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          conns * 4,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// publicOnlyKey marks a request's context: its connection must go to a
// public address.
type publicOnlyKey struct{}

// errPrivateDial is a connection refused because the address dialled is
// not public.
var errPrivateDial = errors.New("địa chỉ nội bộ")

// refusePrivate is the dialer's check of the address it is about to
// connect to.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !app.PublicAddr(a.Unmap()) {
		return fmt.Errorf("%w %s", errPrivateDial, host)
	}
	return nil
}

func (p *PortalSender) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *PortalSender) target(ctx context.Context, client string) (target, error) {
	now := p.now()
	p.mu.Lock()
	t, ok := p.cache[client]
	p.mu.Unlock()
	if ok && now.Before(t.until) {
		return t, nil
	}
	ct, err := p.Dir.CallbackTarget(ctx, client)
	if err != nil {
		return target{}, err
	}
	ttl := p.CacheFor
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	t = target{url: ct.URL, secret: ct.Secret, shape: ct.Shape, until: now.Add(ttl)}
	p.mu.Lock()
	if p.cache == nil {
		p.cache = map[string]target{}
	}
	p.cache[client] = t
	p.mu.Unlock()
	return t, nil
}

// Forget drops a client from the cache (its URL or secret changed).
func (p *PortalSender) Forget(client string) {
	p.mu.Lock()
	delete(p.cache, client)
	p.mu.Unlock()
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Send delivers one callback.
func (p *PortalSender) Send(ctx context.Context, row app.OutboxRow) Result {
	t, err := p.target(ctx, row.Target)
	if err != nil {
		return Result{Err: fmt.Errorf("cổng %s: %w", row.Target, err), Reason: "config"}
	}
	if t.url == "" {
		return Result{Discard: true, Note: "cổng " + row.Target + " không có địa chỉ callback"}
	}
	u, err := url.Parse(t.url)
	if err != nil || u.Host == "" {
		return Result{Err: errors.New("địa chỉ callback không hợp lệ"), Reason: "config"}
	}
	if err := p.checkHost(ctx, u.Hostname()); err != nil {
		return Result{Err: err, Reason: "blocked_address"}
	}
	payload := row.Payload
	if t.shape == app.ShapeOpenCPS {
		// The client's shape, made from the stored payload alone: every
		// attempt sends the same bytes.
		if payload, err = app.ToOpenCPS(row.Payload); err != nil {
			return Result{Err: err, Reason: "config"}
		}
	}
	ts := strconv.FormatInt(p.now().Unix(), 10)
	n := nonce()
	pathQuery := u.RequestURI()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(payload))
	if err != nil {
		return Result{Err: errors.New("địa chỉ callback không hợp lệ"), Reason: "config"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hoso-callback/1")
	req.Header.Set(portalsig.HeaderHosoID, row.Target)
	req.Header.Set(portalsig.HeaderTimestamp, ts)
	req.Header.Set(portalsig.HeaderNonce, n)
	req.Header.Set(portalsig.HeaderSignature, portalsig.Sign(t.secret, http.MethodPost, pathQuery, ts, n, payload))
	client := p.Client
	if client == nil {
		client = NewPortalClient(10*time.Second, 8)
	}
	if !p.AllowPrivate {
		// Through an egress proxy the proxy dials the portal, and the
		// send-time check above is what we can do; otherwise the address
		// dialled is checked again at connect time.
		if proxy, perr := http.ProxyFromEnvironment(req); perr == nil && proxy == nil {
			req = req.WithContext(context.WithValue(req.Context(), publicOnlyKey{}, true))
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, errPrivateDial) {
			return Result{Err: fmt.Errorf("callback: không gửi, %s nối tới %v", u.Hostname(), err), Reason: "blocked_address"}
		}
		reason, msg := "network", "không kết nối được"
		var ne net.Error
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			reason, msg = "timeout", "hết thời gian chờ"
		}
		return Result{Err: errors.New("callback: " + msg), Reason: reason}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s <= 299:
		return Result{Note: "HTTP " + strconv.Itoa(s)}
	case s >= 300 && s <= 399:
		return Result{Err: fmt.Errorf("callback: HTTP %d (chuyển hướng không được theo)", s), Reason: "redirect"}
	case s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable:
		return Result{Err: fmt.Errorf("callback: HTTP %d", s), Reason: "http_" + strconv.Itoa(s/100) + "xx",
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), p.now())}
	case s >= 500:
		return Result{Err: fmt.Errorf("callback: HTTP %d", s), Reason: "http_5xx"}
	default:
		return Result{Err: fmt.Errorf("callback: HTTP %d", s), Reason: "http_4xx"}
	}
}

// checkHost resolves the callback's host now and refuses it when any of
// its addresses is not public (app.PublicAddr), unless AllowPrivate.
func (p *PortalSender) checkHost(ctx context.Context, host string) error {
	if p.AllowPrivate {
		return nil
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		resolve := p.Resolve
		if resolve == nil {
			resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if addrs, err = resolve(rctx, host); err != nil || len(addrs) == 0 {
			return fmt.Errorf("callback: không tra được tên miền %s", host)
		}
	}
	for _, a := range addrs {
		if !app.PublicAddr(a) {
			return fmt.Errorf("callback: không gửi, %s trỏ tới địa chỉ nội bộ %s", host, a)
		}
	}
	return nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
