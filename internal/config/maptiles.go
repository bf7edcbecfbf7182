package config

import (
	"net/url"
	"strings"
)

// MapTiles is the tile server of the dispatcher's map (HOSO_MAP_TILES):
// off by default, the map then draws outlines only and makes no request
// off the server. When set, the page's CSP allows images from that origin
// and no other.
type MapTiles struct {
	URL    string // a Leaflet template, https://tiles.example.vn/{z}/{x}/{y}.png
	Origin string // scheme://host[:port] of URL, for the CSP
}

func (m *MapTiles) load(env func(string) string) []string {
	*m = MapTiles{}
	v := strings.TrimSpace(env("HOSO_MAP_TILES"))
	if v == "" || strings.EqualFold(v, "off") {
		return nil
	}
	bad := func(what string) []string {
		return []string{"HOSO_MAP_TILES: " + what + ", got " + quote(v)}
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return bad("want an http(s) URL template such as https://tiles.example.vn/{z}/{x}/{y}.png")
	}
	if u.User != nil || u.Fragment != "" || strings.ContainsAny(u.Host, "{}*") {
		return bad("want a URL without credentials, fragment or placeholder in the host")
	}
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(v, p) {
			return bad("want the placeholders {z}, {x} and {y}")
		}
	}
	if strings.ContainsAny(v, " ;,'\"\\") {
		return bad("want a URL without spaces, quotes, commas or semicolons")
	}
	m.URL, m.Origin = v, u.Scheme+"://"+u.Host
	return nil
}
