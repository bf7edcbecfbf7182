package web

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/errs"
)

// This file holds what every staff form shares: the one mapper from an
// application error to the messages beside the inputs and the summary at
// the top, and Post/Redirect/Get after a POST with errors.

// fieldSpec tells the mapper about one form.
type fieldSpec struct {
	// IDs maps an error's field name to the input's id; a name not listed
	// is taken as the id itself when Order names it, else it speaks only in
	// the summary.
	IDs map[string]string
	// Order is the inputs' ids in the order the form shows them: the
	// summary follows it, then any other input by id.
	Order []string
	// Label names an input in the summary, where a message is read away
	// from its field ("Số điện thoại: …"); nil or "" leaves the message as
	// it is.
	Label func(id string) string
}

// mapFieldErrors turns an application error into the message beside each
// input (first letter capitalised) and the summary, in the form's order.
// Several error fields may land on one input ("windows" and
// "windows[0].end" on the time slot): the first in natural name order
// speaks, every time, so the wording never changes between two identical
// posts. Without field messages the summary carries the error's message.
func mapFieldErrors(err error, spec fieldSpec) (map[string]string, []fieldError) {
	fields := map[string]string{}
	var sum []fieldError
	fs := errs.FieldsOf(err)
	names := make([]string, 0, len(fs))
	for name := range fs {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	inOrder := map[string]bool{}
	for _, id := range spec.Order {
		inOrder[id] = true
	}
	var loose []fieldError // messages of no input
	for _, name := range names {
		id, ok := spec.IDs[name]
		if !ok && inOrder[name] {
			id = name
		}
		m := capitalize(fs[name])
		if id == "" {
			loose = append(loose, fieldError{Message: m})
			continue
		}
		if _, taken := fields[id]; !taken {
			fields[id] = m
		}
	}
	named := func(id string) string {
		m := fields[id]
		if spec.Label == nil {
			return m
		}
		if label := spec.Label(id); label != "" && !strings.Contains(strings.ToLower(m), strings.ToLower(label)) {
			return label + ": " + lowerFirst(m)
		}
		return m
	}
	seen := map[string]bool{}
	for _, id := range spec.Order {
		if _, ok := fields[id]; ok && !seen[id] {
			sum = append(sum, fieldError{ID: id, Message: named(id)})
			seen[id] = true
		}
	}
	var rest []string
	for id := range fields {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return naturalLess(rest[i], rest[j]) })
	for _, id := range rest {
		sum = append(sum, fieldError{ID: id, Message: named(id)})
	}
	sum = append(sum, loose...)
	if len(sum) == 0 {
		msg := errs.MessageOf(err)
		if msg == "" {
			msg = "Không thực hiện được. Vui lòng thử lại."
		}
		sum = append(sum, fieldError{Message: msg})
	}
	return fields, sum
}

// formErrors is mapFieldErrors for a form whose inputs are named by ids
// (error field → input id), in id order.
func formErrors(err error, ids map[string]string) (map[string]string, []fieldError) {
	return mapFieldErrors(err, fieldSpec{IDs: ids})
}

// naturalLess orders "line 9" before "line 10" and "doc_name_2" before
// "doc_name_10".
func naturalLess(a, b string) bool {
	ta, tb := strings.TrimRight(a, "0123456789"), strings.TrimRight(b, "0123456789")
	if ta == tb && len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// ---------- Post/Redirect/Get ----------

// keptForm is what a POST with errors hands to the GET it redirects to:
// the typed values and the errors, sealed (encrypted and authenticated)
// in a cookie that lives ten minutes, bound to the form and to the
// session, read once. Nothing typed goes into the URL, and Back after the
// redirect shows the form again instead of re-submitting it.
type keptForm struct {
	Form    string            `json:"f"`
	Binding string            `json:"b"`
	Until   int64             `json:"u"`
	Values  url.Values        `json:"v"`
	Fields  map[string]string `json:"e,omitempty"`
	Message string            `json:"m,omitempty"`
}

const (
	keptFormCookie = "mau"
	keptFormTTL    = 10 * time.Minute
	maxKeptForm    = 3800 // browsers keep about 4 KB a cookie
)

// keepForm seals the values and err for the next GET of form. It reports
// false when they cannot be kept (too large for a cookie, no session):
// the caller then answers the POST with the form itself.
func (s *Server) keepForm(c *fiber.Ctx, form string, values url.Values, err error) bool {
	b := s.csrfBinding(c, false)
	if b == "" || s.d.Citizen == nil {
		return false
	}
	v := url.Values{}
	for k, xs := range values {
		for _, x := range xs {
			if utf8.ValidString(x) && len(x) <= 1000 {
				v.Add(k, x)
			}
		}
	}
	k := keptForm{Form: form, Binding: b, Until: s.d.Now().Add(keptFormTTL).Unix(), Values: v,
		Fields: errs.FieldsOf(err), Message: errs.MessageOf(err)}
	raw, jerr := json.Marshal(k)
	if jerr != nil {
		return false
	}
	sealed := base64.RawURLEncoding.EncodeToString(s.d.Citizen.SealDraft(append([]byte("form\x00"), raw...)))
	if len(sealed) > maxKeptForm {
		return false
	}
	s.setCookie(c, keptFormCookie, sealed, s.d.Now().Add(keptFormTTL))
	return true
}

// takeForm opens what the POST of form kept, once: the cookie is cleared
// whatever it held. A forged, expired, other session's or other form's
// cookie gives nothing.
func (s *Server) takeForm(c *fiber.Ctx, form string) (url.Values, error, bool) {
	raw := c.Cookies(s.cookieName(keptFormCookie))
	if raw == "" {
		return nil, nil, false
	}
	s.clearCookie(c, keptFormCookie)
	if len(raw) > maxKeptForm {
		return nil, nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, nil, false
	}
	plain, err := s.d.Citizen.OpenDraft(b)
	if err != nil {
		return nil, nil, false
	}
	body, ok := strings.CutPrefix(string(plain), "form\x00")
	if !ok {
		return nil, nil, false
	}
	var k keptForm
	if json.Unmarshal([]byte(body), &k) != nil || k.Form != form || k.Binding == "" || k.Binding != s.csrfBinding(c, false) ||
		s.d.Now().Unix() > k.Until {
		return nil, nil, false
	}
	if k.Values == nil {
		k.Values = url.Values{}
	}
	msg := k.Message
	if msg == "" {
		msg = "Thông tin chưa hợp lệ"
	}
	return k.Values, errs.E(errs.Invalid, "%s", msg).WithFields(k.Fields), true
}

// postedValues are the named inputs of a posted form.
func postedValues(c *fiber.Ctx, names []string) url.Values {
	v := url.Values{}
	for _, n := range names {
		if x := c.FormValue(n); x != "" {
			v.Set(n, x)
		}
	}
	return v
}

// keepWhole is keepForm for a form whose every typed value must come back
// whole: a value keepForm would leave out for its length (a long list of
// cells, a long note) makes it report false, and the caller answers the
// POST with the form itself, so nothing typed is lost. Bytes that are not
// text are still left out: the message beside their field says to type
// them again.
func (s *Server) keepWhole(c *fiber.Ctx, form string, values url.Values, err error) bool {
	for _, xs := range values {
		for _, x := range xs {
			if len(x) > 1000 && utf8.ValidString(x) {
				return false
			}
		}
	}
	return s.keepForm(c, form, values, err)
}
