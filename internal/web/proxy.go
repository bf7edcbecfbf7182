package web

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// trustedProxies is the set HOSO_TRUSTED_PROXIES names: addresses and CIDR
// prefixes of the reverse proxies in front of the server.
type trustedProxies []netip.Prefix

// parseTrustedProxies reads addresses ("10.0.0.5", "::1") and prefixes
// ("10.0.0.0/8").
func parseTrustedProxies(list []string) (trustedProxies, error) {
	var out trustedProxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (t trustedProxies) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedClient finds the client behind a chain of trusted proxies: the
// right-most X-Forwarded-For address that is not a trusted proxy. Each proxy
// appends the address it received the request from, so entries to the left
// of the first untrusted one were written by the client and are ignored.
// An entry that is not an address ends the walk: the address before it
// (a trusted proxy's peer) is the best known. ok is false when the header
// holds no usable entry.
func (t trustedProxies) forwardedClient(peer netip.Addr, headers [][]byte) (netip.Addr, bool) {
	var entries []string
	for _, h := range headers {
		for _, e := range strings.Split(string(h), ",") {
			entries = append(entries, strings.TrimSpace(e))
		}
	}
	client, found := peer, false
	for i := len(entries) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(entries[i])
		if err != nil {
			// "1.2.3.4:5678" and "[::1]:5678" are addresses with ports.
			ap, perr := netip.ParseAddrPort(entries[i])
			if perr != nil {
				break
			}
			a = ap.Addr()
		}
		a = a.Unmap()
		client, found = a, true
		if !t.contains(a) {
			return a, true
		}
	}
	return client, found
}

const localClientIP = "client_ip"

// clientIP is the address rate limits and logs use: the peer, or behind a
// trusted proxy the client it forwarded for. It is computed once per
// request.
func (s *Server) clientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(localClientIP).(string); ok {
		return ip
	}
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	ip := peer
	if len(s.proxies) > 0 && s.proxies.contains(peer) {
		if a, ok := s.proxies.forwardedClient(peer, c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)); ok {
			ip = a
		}
	}
	out := ip.String()
	c.Locals(localClientIP, out)
	return out
}
