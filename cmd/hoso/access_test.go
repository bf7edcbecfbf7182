package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
)

// The access matrix: every route the router registers, asked by every kind
// of caller, gets the answer written here. A route the router has and the
// matrix lacks fails the test, so a new route cannot ship without a decision
// about who may call it.

// caller is who asks.
type caller int

const (
	anon       caller = iota // no session, no key (a visitor cookie and its CSRF token only)
	asAdmin                  // session of role admin
	asDispatch               // session of role dispatcher
	asCourier                // session of role courier (the pages, not the app)
	asOffice                 // session of role post_office
	asDesk                   // session of role desk
	asPortal                 // a signed portal request (HMAC), no cookie
	asToken                  // the courier app's bearer token, no cookie
	asPostal                 // a signed postal system request (HMAC, X-Postal-Id), no cookie
	nCallers
)

var callerNames = [nCallers]string{"no session", "admin", "dispatcher", "courier", "post_office", "desk", "portal key", "courier token", "postal key"}

// answer is what a caller must get.
type answer int

const (
	allow  answer = iota // past access control: anything but 401, 403, a 5xx or a redirect to the login page
	unauth               // 401, or for a page GET a redirect to the login page
	forbid               // 403
	status               // exactly one of the entry's statuses
)

// access is one route's row of the matrix.
type access struct {
	ans      [nCallers]answer
	statuses []int // for status cells
	limited  bool  // behind the public per-IP rate limiter
}

func everyone() access { return access{} }

// staffOnly: signed-in staff of the roles (every role when none).
func staffOnly(roles ...caller) access {
	var a access
	for c := range nCallers {
		a.ans[c] = forbid
	}
	a.ans[anon], a.ans[asPortal], a.ans[asToken], a.ans[asPostal] = unauth, unauth, unauth, unauth
	if len(roles) == 0 {
		roles = []caller{asAdmin, asDispatch, asCourier, asOffice, asDesk}
	}
	for _, r := range roles {
		a.ans[r] = allow
	}
	return a
}

func only(c caller) access {
	var a access
	for x := range nCallers {
		a.ans[x] = unauth
	}
	a.ans[c] = allow
	return a
}

func all(st ...int) access {
	var a access
	for c := range nCallers {
		a.ans[c] = status
	}
	a.statuses = st
	return a
}

func (a access) limit() access { a.limited = true; return a }

// accountAction: admins and post offices get past the role check; the
// fixture's :id is no account's (a parcel id), so they get 404, never an
// action on someone. TestAccountScopes covers real targets.
func accountAction() access {
	a := staffOnly(asAdmin, asOffice)
	a.ans[asAdmin], a.ans[asOffice] = status, status
	a.statuses = []int{404}
	return a
}

// accountCreate: admins and post offices; the matrix's empty form is
// refused after access control. TestAccountCreateAndScope covers the rest.
func accountCreate() access {
	a := staffOnly(asAdmin, asOffice)
	a.ans[asAdmin], a.ans[asOffice] = status, status
	a.statuses = []int{422}
	return a
}

// adminAccount: an admin only (a post office cannot move its couriers);
// the fixture's :id is no account's (404).
func adminAccount() access {
	a := staffOnly(asAdmin)
	a.ans[asAdmin] = status
	a.statuses = []int{404}
	return a
}

// refForm: reference data forms are the admin's; the matrix's empty form
// is refused after access control (422), the fixture's :code is no desk's
// or office's (404). TestReferenceData covers real ones.
func refForm() access {
	a := staffOnly(asAdmin)
	a.ans[asAdmin] = status
	a.statuses = []int{404, 422}
	return a
}

// staffParcel: the fixture's parcel (collected by the signed-in courier
// for the signed-in desk, in the dispatcher's province and the office's
// zone) is in scope for every role that views parcels, except the office
// when the parcel is not its own: 404 then. TestStaffParcelView covers it.
func staffParcel() access {
	a := staffOnly(asAdmin, asDispatch, asOffice, asDesk)
	a.ans[asOffice] = status
	a.statuses = []int{200, 404}
	return a
}

// selfChangeForm: a desk's clerk and an admin; the matrix's empty form
// names no change (422). TestSelfServiceReachesThePortal covers scope.
func selfChangeForm() access {
	a := staffOnly(asDesk, asAdmin)
	a.ans[asDesk], a.ans[asAdmin] = status, status
	a.statuses = []int{422}
	return a
}

// staffParcelReveal: the matrix's empty reason is refused after access
// control (422), or 404 out of scope.
func staffParcelReveal() access {
	a := staffOnly(asAdmin, asDispatch, asOffice, asDesk)
	for _, c := range []caller{asAdmin, asDispatch, asOffice, asDesk} {
		a.ans[c] = status
	}
	a.statuses = []int{404, 422}
	return a
}

// refMissing: the admin's, and the fixture's :code names nothing (404).
func refMissing() access {
	a := staffOnly(asAdmin)
	a.ans[asAdmin] = status
	a.statuses = []int{404}
	return a
}

// accessMatrix is the decision for every route, by method and path as the
// router names them.
func accessMatrix() map[string]access {
	dispatch := staffOnly(asAdmin, asDispatch)
	alarms := staffOnly(asAdmin, asDispatch, asOffice, asDesk)
	m := map[string]access{
		// Operations and static files.
		"GET /healthz":                     everyone(),
		"GET /readyz":                      everyone(),
		"GET /metrics":                     everyone(), // the matrix calls from loopback, without a proxy; TestMetricsAccess covers the rest
		"GET /static/*":                    everyone(),
		"GET /buu-ta":                      everyone(),
		"GET /buu-ta/sw.js":                everyone(),
		"GET /buu-ta/manifest.webmanifest": everyone(),

		// Machine APIs.
		"GET /api/v1/openapi.json":                           everyone(),
		"GET /api/v1/states":                                 everyone(),
		"POST /api/v1/auth/token":                            all(401, 429), // wrong password for everyone, delayed after five on one name; TestLoginThrottle*
		"GET /api/v1/public/track/:tracking_number":          everyone().limit(),
		"GET /api/v1/communes":                               everyone().limit(),
		"POST /api/v1/courier/events":                        only(asToken),
		"GET /api/v1/courier/route":                          only(asToken),
		"POST /api/v1/courier/device-key":                    only(asToken),
		"POST /api/v1/courier/stops/:number/code":            only(asToken),
		"POST /api/v1/courier/stops/:number/reveal":          only(asToken),
		"POST /api/v1/courier/evidence":                      only(asToken),
		"POST /api/v1/courier/scans":                         only(asToken),
		"POST /api/v1/staff/events":                          staffOnly(asOffice, asDesk),
		"POST /api/v1/staff/handoffs/:id/recall":             staffOnly(asAdmin, asDispatch), // a dispatcher's recall of a stuck release
		"GET /api/v1/alarms":                                 alarms,
		"GET /api/v1/portal/desks":                           only(asPortal),
		"POST /api/v1/portal/pickups":                        only(asPortal),
		"GET /api/v1/portal/pickups":                         only(asPortal),
		"GET /api/v1/portal/pickups/:id":                     only(asPortal),
		"POST /api/v1/portal/pickups/:id/cancel":             only(asPortal),
		"POST /api/v1/portal/dossiers/:dossier_code/result":  only(asPortal),
		"POST /api/v1/notify/sms-replies":                    all(404), // 404 until an inbound token is configured
		"GET /api/v1/log/checkpoint":                         everyone().limit(),
		"GET /api/v1/log/proof/inclusion":                    all(400).limit(), // no index asked
		"GET /api/v1/log/proof/consistency":                  all(400).limit(), // no sizes asked
		"GET /api/v1/log/tile/*":                             all(404).limit(), // no such tile
		"POST /api/v1/log/cosignature":                       all(400).limit(), // the body is no checkpoint
		"GET /api/v1/portal/results/:id/delivery-slots":      only(asPortal),
		"POST /api/v1/portal/results/:id/delivery-window":    only(asPortal),
		"GET /api/v1/staff/results/:number/delivery-slots":   staffOnly(asAdmin, asDispatch, asOffice, asDesk),
		"POST /api/v1/staff/results/:number/delivery-window": staffOnly(asAdmin, asDispatch, asOffice, asDesk),
		"GET /api/v1/postal/events":                          only(asPostal),

		// Public pages.
		"GET /":                     everyone(),
		"GET /tra-cuu":              everyone().limit(),
		"GET /tra-cuu/:number":      everyone().limit(),
		"GET /t/:number":            everyone().limit(),
		"POST /tra-cuu/:number":     all(422).limit(), // the proof form: an empty proof for everyone; TestPublicDetailsNeedProof
		"GET /dang-nhap":            everyone(),
		"POST /dang-nhap":           all(401), // wrong password for everyone
		"POST /dang-xuat":           everyone(),
		"GET /yeu-cau":              everyone().limit(),
		"POST /yeu-cau":             everyone().limit(),
		"GET /yeu-cau/xac-minh":     everyone().limit(),
		"POST /yeu-cau/xac-minh":    everyone().limit(),
		"POST /yeu-cau/gui-lai-ma":  everyone().limit(),
		"GET /yeu-cau/thong-tin":    everyone().limit(),
		"POST /yeu-cau/thong-tin":   everyone().limit(),
		"GET /yeu-cau/xong/:number": everyone().limit(),
		"GET /huy-tin-nhan/:token":  everyone().limit(),
		"POST /huy-tin-nhan/:token": everyone().limit(),
		// The citizen's self-service (TestSelfServiceBadInput): no caller
		// has a proven session here.
		"GET /tra-cuu/:number/thay-doi":             everyone().limit(),
		"POST /tra-cuu/:number/thay-doi":            all(401).limit(),
		"POST /tra-cuu/:number/thay-doi/gui-ma":     everyone().limit(),
		"POST /tra-cuu/:number/thay-doi/xac-minh":   all(401, 422).limit(),
		"POST /tra-cuu/:number/thay-doi/gui-lai-ma": all(303, 401, 429).limit(),

		// Complaints (TestComplaint*): the form for every number, an empty
		// complaint refused for everyone (no problem, no proof).
		"GET /tra-cuu/:number/phan-anh":  everyone().limit(),
		"POST /tra-cuu/:number/phan-anh": all(422).limit(),

		// Staff pages.
		"GET /nhan-vien":                                    staffOnly(),
		"GET /nhan-vien/yeu-cau":                            staffOnly(asDesk, asAdmin, asDispatch),
		"GET /nhan-vien/thay-doi/:number":                   staffOnly(asDesk, asAdmin),
		"POST /nhan-vien/thay-doi/:number":                  selfChangeForm(),
		"POST /nhan-vien/yeu-cau":                           staffOnly(asDesk, asAdmin, asDispatch),
		"GET /nhan-vien/yeu-cau/xong/:number":               staffOnly(asDesk, asAdmin, asDispatch),
		"GET /nhan-vien/tin-nhan":                           staffOnly(asAdmin), // the messages hold citizens' one-time codes
		"GET /nhan-vien/canh-bao":                           alarms,
		"POST /nhan-vien/canh-bao/:id/xac-nhan":             alarms,
		"GET /nhan-vien/su-co":                              alarms,
		"GET /nhan-vien/su-co/:id":                          alarms,
		"POST /nhan-vien/su-co/:id":                         dispatch,
		"GET /nhan-vien/ban-giao":                           dispatch,
		"POST /nhan-vien/ban-giao/:id/thu-hoi":              dispatch,
		"GET /nhan-vien/chi-so":                             alarms,
		"GET /nhan-vien/thu-ho":                             staffOnly(asAdmin, asDispatch, asOffice),
		"POST /nhan-vien/thu-ho/xac-nhan":                   staffOnly(asOffice),
		"GET /nhan-vien/mat-khau":                           staffOnly(),
		"POST /nhan-vien/mat-khau":                          staffOnly(), // an empty form is refused after access control (422)
		"POST /nhan-vien/dang-xuat-moi-noi":                 staffOnly(), // ends the caller's sessions: goes last, like the log-outs
		"GET /nhan-vien/tai-khoan":                          staffOnly(asAdmin, asOffice),
		"POST /nhan-vien/tai-khoan/:id/mat-dien-thoai":      accountAction(),
		"POST /nhan-vien/tai-khoan/:id/vo-hieu":             accountAction(),
		"POST /nhan-vien/tai-khoan/:id/kich-hoat":           accountAction(),
		"POST /nhan-vien/tai-khoan/:id/mo-khoa":             accountAction(),
		"POST /nhan-vien/tai-khoan/:id/dat-lai-mat-khau":    accountAction(),
		"GET /nhan-vien/hop-thu-di":                         dispatch,
		"GET /nhan-vien/hop-thu-di/loi":                     dispatch,
		"POST /nhan-vien/hop-thu-di/:id/gui-lai":            dispatch,
		"POST /nhan-vien/hop-thu-di/:id/bo":                 dispatch,
		"POST /nhan-vien/tai-khoan":                         accountCreate(), // an empty form: 422 after access control
		"GET /nhan-vien/tai-khoan/:id/don-vi":               adminAccount(),
		"POST /nhan-vien/tai-khoan/:id/don-vi":              adminAccount(),
		"GET /nhan-vien/buu-gui":                            staffOnly(asAdmin, asDispatch, asOffice, asDesk),
		"GET /nhan-vien/buu-gui/:number":                    staffParcel(),
		"POST /nhan-vien/buu-gui/:number/xem-so":            staffParcelReveal(),
		"GET /nhan-vien/cong":                               staffOnly(asAdmin),
		"POST /nhan-vien/cong":                              refForm(),
		"GET /nhan-vien/cong/:id":                           refMissing(),
		"POST /nhan-vien/cong/:id/goi-lai":                  refMissing(),
		"POST /nhan-vien/cong/:id/doi-khoa":                 refMissing(),
		"POST /nhan-vien/cong/:id/trang-thai":               refMissing(),
		"GET /nhan-vien/nhat-ky":                            staffOnly(asAdmin),
		"GET /nhan-vien/nhat-ky.csv":                        staffOnly(asAdmin),
		"GET /nhan-vien/danh-muc":                           staffOnly(asAdmin),
		"POST /nhan-vien/danh-muc/mot-cua/nhap":             refForm(), // an empty import: 422 after access control
		"GET /nhan-vien/danh-muc/mot-cua/moi":               staffOnly(asAdmin),
		"POST /nhan-vien/danh-muc/mot-cua":                  refForm(), // an empty desk: 422
		"GET /nhan-vien/danh-muc/mot-cua/:code":             refMissing(),
		"POST /nhan-vien/danh-muc/mot-cua/:code":            refForm(),
		"POST /nhan-vien/danh-muc/mot-cua/:code/trang-thai": refMissing(),
		"POST /nhan-vien/danh-muc/buu-cuc/nhap":             refForm(),
		"GET /nhan-vien/danh-muc/buu-cuc/moi":               staffOnly(asAdmin),
		"POST /nhan-vien/danh-muc/buu-cuc":                  refForm(),
		"GET /nhan-vien/danh-muc/buu-cuc/:code":             refMissing(),
		"POST /nhan-vien/danh-muc/buu-cuc/:code":            refForm(),
		"POST /nhan-vien/danh-muc/buu-cuc/:code/trang-thai": refMissing(),
		"GET /nhan-vien/can-cu-phap-ly":                     staffOnly(asAdmin),
		"POST /nhan-vien/can-cu-phap-ly":                    staffOnly(asAdmin), // an empty form is refused after access control (404: no key)
		// The working-day calendar (issue 18 item 5): admins only; an empty
		// form is refused after access control (422), the fixture's :code is
		// no desk (404).
		"GET /nhan-vien/lich":                staffOnly(asAdmin),
		"POST /nhan-vien/lich":               refForm(),
		"POST /nhan-vien/lich/xoa":           refForm(),
		"POST /nhan-vien/lich/nhap":          refForm(),
		"GET /nhan-vien/lich/mot-cua/:code":  refMissing(),
		"POST /nhan-vien/lich/mot-cua/:code": refMissing(),

		// A complaint's answer (the fixture's :id is no incident's: 404) and a
		// lost-original case from a quiet parcel's alarm (TestQuietParcelLostCase).
		"POST /nhan-vien/su-co/:id/tra-loi":     alarms,
		"POST /nhan-vien/canh-bao/:id/that-lac": dispatch,

		// Printed papers: the public receipt check, and the staff downloads,
		// each paper scoped to the staff who handle it. The fixture's parcel
		// was collected by the signed-in courier for the signed-in desk; it is
		// not yet at the signed-in office, which sees only the receipt its
		// courier signed. A courier's route pack and fee statement are for
		// the courier, their office, dispatchers and admins, not for a desk.
		"GET /bien-nhan":                                 everyone().limit(),
		"GET /bien-nhan/khoa-cong-khai":                  everyone().limit(),
		"GET /bien-nhan/:code":                           everyone().limit(),
		"GET /nhan-vien/in":                              staffOnly(),
		"GET /nhan-vien/in/nhan/:number":                 staffOnly(asAdmin, asDispatch, asCourier, asDesk),
		"GET /nhan-vien/in/bien-nhan/:number":            staffOnly(),
		"GET /nhan-vien/in/phieu-giao/:number":           staffOnly(asAdmin, asDispatch, asCourier, asDesk),
		"GET /nhan-vien/in/bien-ban/:code":               staffOnly(),
		"GET /nhan-vien/in/bien-ban/:code/bang-chung":    staffOnly(),
		"GET /nhan-vien/in/tui-hanh-trinh/:courier/:day": staffOnly(asAdmin, asDispatch, asCourier, asOffice),
		"GET /nhan-vien/in/bang-ke-thu-ho/:courier/:day": staffOnly(asAdmin, asDispatch, asCourier, asOffice),

		// Counters.
		"GET /buu-cuc":                staffOnly(asOffice),
		"POST /buu-cuc/nhan":          staffOnly(asOffice),
		"POST /buu-cuc/thieu":         staffOnly(asOffice),
		"POST /buu-cuc/chuyen":        staffOnly(asOffice),
		"GET /buu-cuc/bang-ke/:code":  staffOnly(asOffice), // another unit's manifest: the same 404 as an unknown code
		"POST /buu-cuc/bang-ke/:code": staffOnly(asOffice),
		"GET /buu-cuc/xac-nhan/:id":   staffOnly(asOffice), // a draft is its clerk's own: 404 for anyone else
		"POST /buu-cuc/xac-nhan/:id":  staffOnly(asOffice),
		// Counter drop-off: the post office's own; the fixture's parcel is
		// already collected (409), another office's is 403 (TestDropoffHTTP).
		"GET /buu-cuc/nop-tai-quay":              staffOnly(asOffice),
		"POST /buu-cuc/nop-tai-quay":             staffOnly(asOffice),
		"GET /buu-cuc/nop-tai-quay/moi":          staffOnly(asOffice),
		"POST /buu-cuc/nop-tai-quay/moi":         staffOnly(asOffice),
		"GET /buu-cuc/nop-tai-quay/:number":      staffOnly(asOffice),
		"POST /buu-cuc/nop-tai-quay/:number":     staffOnly(asOffice),
		"POST /buu-cuc/nop-tai-quay/:number/ma":  staffOnly(asOffice),
		"POST /buu-cuc/nop-tai-quay/:number/huy": staffOnly(asOffice),
		"GET /buu-cuc/nop-tai-quay/:number/xong": staffOnly(asOffice),
		"GET /mot-cua":                           staffOnly(asDesk),
		"POST /mot-cua/nhan":                     staffOnly(asDesk),
		"POST /mot-cua/thieu":                    staffOnly(asDesk),
		"POST /mot-cua/chuyen":                   staffOnly(asDesk),
		"POST /mot-cua/quyet-dinh/:number":       staffOnly(asDesk),
		"POST /mot-cua/ket-qua/:number":          staffOnly(asDesk),
		"GET /mot-cua/kiem-dem/:number":          staffOnly(asDesk),
		"GET /mot-cua/bang-ke/:code":             staffOnly(asDesk),
		"POST /mot-cua/bang-ke/:code":            staffOnly(asDesk),
		"GET /mot-cua/xac-nhan/:id":              staffOnly(asDesk),
		"POST /mot-cua/xac-nhan/:id":             staffOnly(asDesk),
	}
	// The dispatcher's pages.
	for _, r := range []string{
		"GET ", "GET /ke-hoach", "GET /ban-do.json", "GET /ranh-gioi/:province", "POST /lap", "GET /tien-do/:id",
		"GET /tien-do/:id/json", "POST /gan", "POST /ghim", "POST /bo-ghim", "POST /cong-bo", "POST /xep-vung",
		"GET /ca", "POST /ca", "POST /ca/:id/xoa", "POST /vang", "POST /vang/:id/xoa", "GET /vung", "POST /vung/phu",
		"POST /vung/o", "GET /buu-cuc", "POST /buu-cuc",
	} {
		method, path, _ := strings.Cut(r, " ")
		m[method+" /nhan-vien/dieu-phoi"+path] = dispatch
	}
	return m
}

// isForm reports whether a route is a page form, behind the CSRF check.
func isForm(method, path string) bool {
	return method == http.MethodPost && !strings.HasPrefix(path, "/api/")
}

// accessWorld is a server with one client per caller.
type accessWorld struct {
	e        *testEnv
	clients  [nCallers]*http.Client
	csrf     [nCallers]string
	portal   contractClient
	postal   postalClient
	token    string
	parcelID string
	number   string
	dossier  string
	static   string
}

var staticLink = regexp.MustCompile(`/static/[^"' )]+`)

func newAccessWorld(t *testing.T) *accessWorld {
	e := startServer(t, nil)
	w := &accessWorld{e: e, portal: e.portal()}
	w.dossier = "000.00.19.ACCESS-1"
	r := w.portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(w.dossier)), "access-1")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created map[string]string
	r.json(t, &created)
	w.parcelID, w.number = created["id"], created["tracking_number"]
	collect(t, e, w.parcelID, "buuta1")
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	w.relogin()
	jar, _ := cookiejar.New(nil)
	w.clients[anon] = &http.Client{Jar: jar, CheckRedirect: noRedirect, Timeout: 30 * time.Second}
	resp, body := w.do(anon, "GET", "/dang-nhap", nil, "")
	m := csrfPattern.FindSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("visitor CSRF: %d", resp.StatusCode)
	}
	w.csrf[anon] = string(m[1])
	w.clients[asPortal] = &http.Client{CheckRedirect: noRedirect, Timeout: 30 * time.Second}
	w.clients[asToken] = &http.Client{CheckRedirect: noRedirect, Timeout: 30 * time.Second}
	w.clients[asPostal] = &http.Client{CheckRedirect: noRedirect, Timeout: 30 * time.Second}
	w.postal = e.postalClient(t, "buudien-access", "19", "")
	w.token = e.courier("buuta1").token
	_, home := e.get("/")
	w.static = staticLink.FindString(string(home))
	if w.static == "" {
		t.Fatal("no static link on the home page")
	}
	return w
}

// relogin gives every staff caller a new session.
func (w *accessWorld) relogin() {
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for c, user := range map[caller]string{asAdmin: "quantri", asDispatch: "dieuphoi", asCourier: "buuta1", asOffice: "buucuc", asDesk: "motcua"} {
		s := w.e.login(user)
		w.clients[c] = &http.Client{Jar: s.c.Jar, CheckRedirect: noRedirect, Timeout: 30 * time.Second}
		w.csrf[c] = s.csrf
	}
}

// concrete fills a route's parameters with values of the fixture.
func (w *accessWorld) concrete(path string) string {
	if path == "/static/*" {
		return w.static
	}
	r := strings.NewReplacer(":tracking_number", w.number, ":number", w.number, ":province", "19",
		":dossier_code", url.PathEscape(w.dossier), ":courier", "BUUTA1", ":day", time.Now().Format("2006-01-02"),
		":token", "abcdefghijklmnopqrst", ":id", w.parcelID)
	return r.Replace(path)
}

// do sends one request as a caller. Forms carry the caller's CSRF token,
// JSON APIs an empty object.
func (w *accessWorld) do(c caller, method, path string, form url.Values, csrf string) (*http.Response, []byte) {
	w.e.t.Helper()
	var body []byte
	ctype := ""
	switch {
	case method != http.MethodPost:
	case isForm(method, path):
		if form == nil {
			form = url.Values{}
		}
		if csrf != "" {
			form.Set("_csrf", csrf)
		}
		body, ctype = []byte(form.Encode()), "application/x-www-form-urlencoded"
	default:
		body, ctype = []byte(`{}`), "application/json"
	}
	if path == "/api/v1/auth/token" {
		body = []byte(`{"username":"khong-co","password":"sai-mat-khau","device_id":"thiet-bi-1"}`)
	}
	req, err := http.NewRequest(method, w.e.base+path, bytes.NewReader(body))
	if err != nil {
		w.e.t.Fatal(err)
	}
	if c == asPortal {
		signPortal(req, w.portal.id, w.portal.secret, body)
		req.Header.Set("Idempotency-Key", "access-key-"+newNonce())
	}
	if c == asPostal {
		signPostal(req, w.postal.id, w.postal.secret)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c == asToken {
		req.Header.Set("Authorization", "Bearer "+w.token)
	}
	if strings.HasPrefix(path, "/api/v1/staff/") && csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := w.clients[c].Do(req)
	if err != nil {
		w.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// signPortal signs a request as contracts/api.md says: HMAC-SHA256 over
// method, path and query, timestamp, nonce and the body's SHA-256.
func signPortal(req *http.Request, id, secret string, body []byte) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := newNonce()
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(req.Method + "\n" + req.URL.RequestURI() + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])))
	req.Header.Set("X-Portal-Id", id)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", hex.EncodeToString(m.Sum(nil)))
}

// judge says whether a response is the answer a cell wants.
func judge(a access, want answer, resp *http.Response) bool {
	st := resp.StatusCode
	toLogin := st >= 300 && st < 400 && strings.HasPrefix(resp.Header.Get("Location"), "/dang-nhap")
	switch want {
	case allow:
		return st != 401 && st != 403 && st < 500 && !toLogin
	case unauth:
		return st == 401 || (st == http.StatusSeeOther && toLogin)
	case forbid:
		return st == 403
	case status:
		for _, s := range a.statuses {
			if st == s {
				return true
			}
		}
	}
	return false
}

var wantNames = map[answer]string{allow: "allowed", unauth: "401", forbid: "403", status: "status"}

// checkHeaders asserts the security headers and a CSP with no third-party
// host on every response.
func checkHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %s", what, csp, want)
		}
	}
	for _, d := range strings.Split(csp, ";") {
		for _, src := range strings.Fields(d)[1:] {
			if !strings.HasPrefix(src, "'") && src != "data:" && src != "blob:" {
				t.Errorf("%s: CSP names a host: %q in %q", what, src, d)
			}
		}
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin"} {
		if h.Get(k) != v {
			t.Errorf("%s: %s = %q, want %q", what, k, h.Get(k), v)
		}
	}
}

// TestAccessMatrix asks every route as every caller.
func TestAccessMatrix(t *testing.T) {
	w := newAccessWorld(t)
	matrix := accessMatrix()
	routes := map[string]bool{}
	for _, r := range w.e.sys.web.Routes() {
		routes[r.Method+" "+r.Path] = true
	}
	var keys []string
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := matrix[k]; !ok {
			t.Errorf("route %s has no entry in the access matrix (cmd/hoso/access_test.go): decide who may call it", k)
		}
	}
	for k := range matrix {
		if !routes[k] {
			t.Errorf("the access matrix names %s, which the router does not have", k)
		}
	}
	cells := 0
	// Log-outs end the session: they go last.
	rank := func(k string) int {
		switch {
		case strings.HasSuffix(k, "/dang-xuat-moi-noi"):
			return 1
		case strings.HasSuffix(k, "/dang-xuat"):
			return 2
		}
		return 0
	}
	sort.SliceStable(keys, func(i, j int) bool { return rank(keys[i]) < rank(keys[j]) })
	for _, k := range keys {
		a, ok := matrix[k]
		if !ok {
			continue
		}
		if k == "POST /dang-xuat" {
			w.relogin() // signing out everywhere ended the sessions
		}
		method, path, _ := strings.Cut(k, " ")
		for c := range nCallers {
			want := a.ans[c]
			if isForm(method, path) && (c == asPortal || c == asToken || c == asPostal) {
				want = forbid // no cookie, so no CSRF token: the form check refuses first
			}
			resp, body := w.do(c, method, w.concrete(path), nil, w.csrf[c])
			cells++
			if resp.StatusCode >= 500 {
				t.Errorf("%s as %s: %d %.300s", k, callerNames[c], resp.StatusCode, body)
				continue
			}
			if !judge(a, want, resp) {
				t.Errorf("%s as %s: got %d (Location %q), want %s %v: %.200s", k, callerNames[c], resp.StatusCode,
					resp.Header.Get("Location"), wantNames[want], a.statuses, regexp.MustCompile(`<p>[^<]*`).FindAll(body, -1))
			}
			checkHeaders(t, k+" as "+callerNames[c], resp.Header)
		}
	}
	// An unmatched path gets the headers too.
	resp, _ := w.do(anon, "GET", "/khong-co-trang-nay", nil, "")
	if resp.StatusCode != 404 {
		t.Errorf("unmatched path: %d", resp.StatusCode)
	}
	checkHeaders(t, "404 page", resp.Header)
	t.Logf("access matrix: %d routes × %d callers = %d cells", len(keys), nCallers, cells)
}

// tableCounts counts the rows of every table but alarms, which the
// background sweep writes, and the transparency log's, which its sequencer
// writes.
func (e *testEnv) tableCounts() map[string]int {
	e.t.Helper()
	m := map[string]int{}
	for _, line := range e.psql(`SELECT table_name || '=' || (xpath('/row/n/text()',
			query_to_xml(format('SELECT count(*) AS n FROM public.%I', table_name), false, true, '')))[1]::text
		FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('alarms') AND table_name NOT LIKE 'log\_%' ORDER BY 1`) {
		k, v, _ := strings.Cut(line, "=")
		n, err := strconv.Atoi(v)
		if err != nil {
			e.t.Fatalf("count of %s: %q", k, v)
		}
		m[k] = n
	}
	if len(m) < 20 {
		e.t.Fatalf("only %d tables counted", len(m))
	}
	return m
}

// TestFormsRefuseWithoutCSRF: every page form, posted by a caller the route
// allows, without a token, with a wrong one and with another session's,
// is refused with 403 and writes nothing.
func TestFormsRefuseWithoutCSRF(t *testing.T) {
	w := newAccessWorld(t)
	matrix := accessMatrix()
	forms := 0
	for _, r := range w.e.sys.web.Routes() {
		k := r.Method + " " + r.Path
		a, ok := matrix[k]
		if r.Method != http.MethodPost || (!isForm(r.Method, r.Path) && !strings.HasPrefix(r.Path, "/api/v1/staff/")) || !ok {
			continue
		}
		who := anon
		for _, c := range []caller{asAdmin, asDispatch, asOffice, asDesk, asCourier} {
			if a.ans[c] == allow {
				who = c
				break
			}
		}
		other := asAdmin
		if who == asAdmin {
			other = asDesk
		}
		forms++
		before := w.e.tableCounts()
		for name, tok := range map[string]string{"no token": "", "wrong token": strings.Repeat("A", 43), "another session's token": w.csrf[other]} {
			resp, body := w.do(who, "POST", w.concrete(r.Path), url.Values{"username": {"quantri"}, "password": {"mat-khau-quantri"}}, tok)
			if resp.StatusCode != 403 {
				t.Errorf("%s as %s with %s: %d, want 403: %.200s", k, callerNames[who], name, resp.StatusCode, body)
			}
		}
		if after := w.e.tableCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("%s: a refused form changed rows: %v → %v", k, before, after)
		}
	}
	// The sessions are still alive: a refused log-out did not end them.
	for _, c := range []caller{asAdmin, asDesk} {
		if resp, _ := w.do(c, "GET", "/nhan-vien", nil, ""); resp.StatusCode != 200 {
			t.Errorf("session of %s after refused forms: %d", callerNames[c], resp.StatusCode)
		}
	}
	if forms < 30 {
		t.Errorf("only %d forms checked", forms)
	}
	t.Logf("CSRF: %d forms × 3 bad tokens", forms)
}

// TestPortalSignatureOnEveryRoute: every portal route refuses a bad
// signature, a stale or future timestamp and a replayed nonce, and writes
// nothing.
func TestPortalSignatureOnEveryRoute(t *testing.T) {
	w := newAccessWorld(t)
	n := 0
	for _, r := range w.e.sys.web.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/portal/") {
			continue
		}
		n++
		path := w.concrete(r.Path)
		var body []byte
		if r.Method == http.MethodPost {
			body = []byte(`{}`)
		}
		before := w.e.tableCounts()
		for name, mut := range map[string]func(c contractClient) contractClient{
			"bad signature": func(c contractClient) contractClient { c.sig = strings.Repeat("ab", 32); return c },
			"other secret":  func(c contractClient) contractClient { c.secret = "khong-phai-bi-mat"; return c },
			"stale": func(c contractClient) contractClient {
				c.ts = strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
				return c
			},
			"future": func(c contractClient) contractClient {
				c.ts = strconv.FormatInt(time.Now().Add(10*time.Minute).Unix(), 10)
				return c
			},
			"unknown portal": func(c contractClient) contractClient { c.id = "khong-co"; return c },
		} {
			c := mut(w.portal)
			c.t = t
			if rep := c.do(r.Method, path, body, "sig-"+newNonce()); rep.status != 401 {
				t.Errorf("%s %s with %s: %d, want 401", r.Method, r.Path, name, rep.status)
			}
		}
		// A replayed nonce: the first use passes the signature check, the
		// second is refused.
		c := w.portal
		c.t, c.nonce = t, "replay-"+newNonce()
		first := c.do(r.Method, path, body, "replay-"+newNonce())
		second := c.do(r.Method, path, body, "replay-"+newNonce())
		if first.status == 401 || second.status != 401 || !strings.Contains(string(second.body), "X-Nonce") {
			t.Errorf("%s %s replayed nonce: first %d, second %d %s", r.Method, r.Path, first.status, second.status, second.body)
		}
		if first.status < 300 && r.Method == http.MethodPost {
			continue // the first, genuine request may write
		}
		after := w.e.tableCounts()
		delete(after, "portal_nonces")
		delete(before, "portal_nonces")
		if fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("%s %s: refused requests changed rows: %v → %v", r.Method, r.Path, before, after)
		}
	}
	if n < 6 {
		t.Errorf("only %d portal routes", n)
	}
}

// TestRateLimits: the public pages answer 429 with Retry-After at the limit
// plus one, for every route behind the public limiter and for none other;
// logins the same, even with the right password.
func TestRateLimits(t *testing.T) {
	const public, login = 5, 4
	e := startServer(t, map[string]string{"HOSO_PUBLIC_RATE_PER_MIN": strconv.Itoa(public), "HOSO_LOGIN_RATE_PER_MIN": strconv.Itoa(login)})
	for i := 1; i <= public+1; i++ {
		resp, _ := e.get("/tra-cuu/EA123456785VN")
		if i <= public && resp.StatusCode == 429 {
			t.Fatalf("request %d of %d refused", i, public)
		}
		if i == public+1 {
			ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if resp.StatusCode != 429 || err != nil || ra < 1 || ra > 60 {
				t.Fatalf("request %d: %d Retry-After %q", i, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			checkHeaders(t, "429 page", resp.Header)
		}
	}
	// The budget is per IP across every public route: all limited routes
	// now refuse, the others still answer.
	w := &accessWorld{e: e, number: "EA123456785VN", parcelID: "00000000-0000-0000-0000-000000000000", dossier: "X", static: "/static/x"}
	jar, _ := cookiejar.New(nil)
	w.clients[anon] = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Every entry is asked, forms too, with the visitor's CSRF token (the
	// sign-in page is not limited). The two sign-in routes spend attempts
	// of the address's login budget, checked below.
	resp, body := w.do(anon, "GET", "/dang-nhap", nil, "")
	m := csrfPattern.FindSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("visitor CSRF: %d", resp.StatusCode)
	}
	spent := 0
	for k, a := range accessMatrix() {
		method, path, _ := strings.Cut(k, " ")
		if k == "POST /dang-nhap" || k == "POST /api/v1/auth/token" {
			spent++
		}
		resp, _ := w.do(anon, method, w.concrete(path), nil, string(m[1]))
		switch {
		case a.limited && resp.StatusCode != 429:
			t.Errorf("%s: %d, want 429 once the public budget is spent", k, resp.StatusCode)
		case !a.limited && resp.StatusCode == 429:
			t.Errorf("%s is rate limited but the matrix says it is not", k)
		case resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "":
			t.Errorf("%s: 429 without Retry-After", k)
		}
	}
	// Logins: a budget of attempts per client address, whatever the
	// username (a fresh name per attempt no longer buys a fresh budget),
	// then 429 even for the right password.
	jar, _ = cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func() string {
		resp, err := c.Get(e.base + "/dang-nhap")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrfPattern.FindSubmatch(b)
		if m == nil {
			t.Fatal("no CSRF token")
		}
		return string(m[1])
	}
	tok := get()
	post := func(user, pw string) *http.Response {
		resp, err := c.PostForm(e.base+"/dang-nhap", url.Values{"username": {user}, "password": {pw}, "_csrf": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := spent + 1; i <= login; i++ {
		if resp := post("quantri", "sai-mat-khau"); resp.StatusCode != 401 {
			t.Fatalf("wrong password %d: %d", i, resp.StatusCode)
		}
	}
	resp = post("quantri", "mat-khau-quantri")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("login %d (right password): %d Retry-After %q, want 429", login+1, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := post("motcua", "mat-khau-motcua"); resp.StatusCode != 429 {
		t.Errorf("another username from the same address: %d, want 429", resp.StatusCode)
	}
	// The courier app's token endpoint shares the budget.
	r, err := http.Post(e.base+"/api/v1/auth/token", "application/json", strings.NewReader(`{"username":"buuta2","password":"mat-khau-buuta2","device_id":"d1"}`))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("token request after the budget: %d, want 429 with Retry-After", r.StatusCode)
	}
}

// TestCourierStopScope is the courier rows of the matrix by parcel: a
// courier acts only on the stops planned for them, the parcels they hold
// and those released to them. Asking for a door code, sending an image,
// seeing the phone or recording an event on anything else is 403 (or a
// forbidden rejection) and changes nothing; registering a device key needs
// the password again.
func TestCourierStopScope(t *testing.T) {
	e := startServer(t, nil)
	e.addUser(app.NewUser{Username: "buuta3", Role: app.RoleCourier, OfficeCode: "BC-05443", FullName: "Bưu tá Ba"})
	planned := e.createPickup("000.00.19.SCOPE-1")
	e.plan(planned, "buuta1") // a schedule event, as a published plan records
	held := e.newPickup(t, "000.00.19.SCOPE-2")
	c1, c2, c3 := e.courier("buuta1"), e.courier("buuta2"), e.courier("buuta3")
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	_, res := c1.send(ev("pickup.collected", held, map[string]any{"documents": docs, "seal_id": "NP-SC-1", "proof": c1.sigProof(held)}),
		ev("handoff.released", held, map[string]any{"to": "courier:BUUTA3"}))
	wantStatuses(t, "buuta1 collects and hands to buuta3", res, "accepted", "accepted")
	type cell struct {
		who    *courierClient
		name   string
		number string
		allow  bool
	}
	cells := []cell{
		{c1, "planned courier", planned, true}, {c3, "same office, not planned", planned, false}, {c2, "another office", planned, false},
		{c1, "holder", held, true}, {c3, "receiver of the release", held, true}, {c2, "another office", held, false},
	}
	for i, cl := range cells {
		before := e.ledgerCounts()
		images := e.count(`SELECT count(*) FROM evidence`)
		png := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("\x89PNG\r\n\x1a\nscope %d", i))) // one image per cell
		st, _ := cl.who.post("/api/v1/courier/evidence", map[string]string{"tracking_number": cl.number, "kind": "photo", "content_type": "image/png", "data": png})
		if (st == 201) != cl.allow || (!cl.allow && st != 403) {
			t.Errorf("evidence for %s as %s: %d", cl.number, cl.name, st)
		}
		if !cl.allow && e.count(`SELECT count(*) FROM evidence`) != images {
			t.Errorf("a refused image for %s as %s was stored", cl.number, cl.name)
		}
		if cl.number == planned {
			st, _ = cl.who.post("/api/v1/courier/stops/"+cl.number+"/code", nil)
			if (st == 204) != cl.allow || (!cl.allow && st != 403) {
				t.Errorf("door code for %s as %s: %d", cl.number, cl.name, st)
			}
			_, res := cl.who.send(ev("pickup.attempt_failed", cl.number, map[string]any{"reason": "not_home"}))
			if got := res[0].Status; (got == "accepted") != cl.allow || (!cl.allow && res[0].Error.Code != "forbidden") {
				t.Errorf("attempt on %s as %s: %+v", cl.number, cl.name, res[0])
			}
		}
		if !cl.allow {
			if after := e.ledgerCounts(); after != before {
				t.Errorf("refused %s as %s changed the ledger: %s → %s", cl.number, cl.name, before, after)
			}
		}
	}
	// A device key: the bearer token alone, or a wrong password, is not
	// enough; the password again is.
	d, _ := app.NewSoftDevice("test-device-buuta1", nil)
	alg, key := d.PublicKey()
	for _, tc := range []struct {
		body map[string]string
		want int
	}{
		{map[string]string{"alg": alg, "public_key": key}, 400},
		{map[string]string{"alg": alg, "public_key": key, "password": "mat-khau-buuta2"}, 403},
		{map[string]string{"alg": alg, "public_key": key, "password": "mat-khau-buuta1"}, 201},
		{map[string]string{"alg": alg, "public_key": key, "password": "mat-khau-buuta1"}, 200}, // the same key again
	} {
		if st, body := c1.post("/api/v1/courier/device-key", tc.body); st != tc.want {
			t.Errorf("device key %v: %d %s, want %d", tc.body["password"] != "", st, body, tc.want)
		}
	}
}
