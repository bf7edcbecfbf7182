package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
)

// citizenPage is a parcel's public page as its citizen sees it after
// proving it with the last four digits of the phone (the fixtures' phone is
// 0912345678): the details and the times of each step.
func (e *testEnv) citizenPage(t *testing.T, number, last4 string) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(e.base + "/tra-cuu/" + number)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfPattern.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no proof form on /tra-cuu/%s (%d)", number, resp.StatusCode)
	}
	resp, err = c.PostForm(e.base+"/tra-cuu/"+number, url.Values{"_csrf": {string(m[1])}, "so_cuoi": {last4}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

var csrfValuePattern = regexp.MustCompile(`name="_csrf" value="[^"]*"`)

// stripVolatile removes what differs between two reads of one page: the
// request id and the visitor's form token.
func stripVolatile(b []byte) string {
	return csrfValuePattern.ReplaceAllString(stripRequestID(b), `name="_csrf"`)
}
