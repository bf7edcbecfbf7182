package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsAccess: /metrics is served to a direct caller on the same
// machine, refused to one relayed by a proxy, and with a token configured
// only to a scraper that sends it.
func TestMetricsAccess(t *testing.T) {
	get := func(e *testEnv, header ...string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", e.base+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 == 3 && strings.HasPrefix(resp.Header.Get("Location"), "/dang-nhap") {
			return 401, string(b) // a GET outside the API is sent to the login page
		}
		return resp.StatusCode, string(b)
	}
	const series = "hoso_http_requests_total"

	t.Run("no token", func(t *testing.T) {
		e := startServer(t, nil)
		if code, body := get(e); code != 200 || !strings.Contains(body, "hoso_db_pool_connections") {
			t.Fatalf("loopback: %d", code)
		}
		for _, h := range [][]string{{"X-Forwarded-For", "203.0.113.9"}, {"Forwarded", "for=203.0.113.9"}} {
			if code, body := get(e, h...); code != 403 || strings.Contains(body, series) {
				t.Fatalf("through a proxy (%s): %d", h[0], code)
			}
		}
	})
	t.Run("token", func(t *testing.T) {
		e := startServer(t, map[string]string{"HOSO_METRICS_TOKEN": "ma-so-lieu-van-hanh-01"})
		for _, h := range [][]string{nil, {"Authorization", "Bearer sai"}, {"Authorization", "ma-so-lieu-van-hanh-01"}, {"Authorization", "Bearer ma-so-lieu-van-hanh-0"}} {
			if code, body := get(e, h...); code != 401 || strings.Contains(body, series) {
				t.Fatalf("%v: %d", h, code)
			}
		}
		if code, body := get(e, "Authorization", "Bearer ma-so-lieu-van-hanh-01", "X-Forwarded-For", "203.0.113.9"); code != 200 || !strings.Contains(body, series) {
			t.Fatalf("with the token: %d", code)
		}
	})
}
