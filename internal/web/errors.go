package web

import (
	"errors"
	"net/url"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/errs"
)

// statusOf is the one table from error kinds to HTTP statuses.
var statusOf = map[errs.Kind]int{
	errs.Invalid:       fiber.StatusBadRequest,
	errs.Unprocessable: fiber.StatusUnprocessableEntity,
	errs.Unauthorized:  fiber.StatusUnauthorized,
	errs.Forbidden:     fiber.StatusForbidden,
	errs.NotFound:      fiber.StatusNotFound,
	errs.Conflict:      fiber.StatusConflict,
	errs.RateLimited:   fiber.StatusTooManyRequests,
	errs.Unavailable:   fiber.StatusServiceUnavailable,
	errs.Internal:      fiber.StatusInternalServerError,
}

// codeOf is the contract's error code of a kind: 400 and 422 are both
// "invalid".
func codeOf(k errs.Kind) string {
	if k == errs.Unprocessable {
		return string(errs.Invalid)
	}
	return string(k)
}

// apiError is the contract's error body.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// classify turns any error into status, kind, message and fields. Internal
// errors get a generic message: their text is logged, never shown.
func classify(err error) (int, errs.Kind, string, map[string]string) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return fe.Code, errs.NotFound, "Không tìm thấy trang hoặc tài nguyên", nil
		case fiber.StatusMethodNotAllowed:
			return fe.Code, errs.Invalid, "Phương thức không được hỗ trợ", nil
		case fiber.StatusRequestEntityTooLarge:
			return fe.Code, errs.Invalid, "Nội dung yêu cầu quá lớn", nil
		case fiber.StatusBadRequest:
			return fe.Code, errs.Invalid, "Yêu cầu không hợp lệ", nil
		case fiber.StatusTooManyRequests:
			return fe.Code, errs.RateLimited, "Quá nhiều yêu cầu, vui lòng thử lại sau", nil
		case fiber.StatusRequestTimeout:
			return fiber.StatusServiceUnavailable, errs.Unavailable, "Máy chủ bận, vui lòng thử lại", nil
		}
		if fe.Code < 500 {
			return fe.Code, errs.Invalid, "Yêu cầu không hợp lệ", nil
		}
		return fiber.StatusInternalServerError, errs.Internal, "Lỗi hệ thống", nil
	}
	k := errs.KindOf(err)
	status, ok := statusOf[k]
	if !ok {
		status, k = fiber.StatusInternalServerError, errs.Internal
	}
	if k == errs.Internal {
		return status, k, "Lỗi hệ thống. Vui lòng thử lại; nếu lỗi lặp lại, báo mã yêu cầu cho bộ phận hỗ trợ.", nil
	}
	msg := errs.MessageOf(err)
	if msg == "" {
		msg = "Yêu cầu không hợp lệ"
	}
	return status, k, msg, errs.FieldsOf(err)
}

// handleError writes an error as JSON for the API and as a Vietnamese page
// for people.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, kind, msg, fields := classify(err)
	ctx := c.UserContext()
	rid := RequestID(ctx)
	if status >= 500 {
		Logger(ctx).Error("request failed", "status", status, "err", err.Error())
	} else if kind == errs.Unauthorized || kind == errs.Forbidden {
		Logger(ctx).Info("refused", "status", status, "reason", msg)
	}
	if kind == errs.RateLimited {
		setRetryAfter(c, err)
	}
	if kind == errs.RateLimited && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
		c.Set(fiber.HeaderRetryAfter, "60")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if wantsJSON(c) {
		body := apiError{Error: apiErrorBody{Code: codeOf(kind), Message: msg, Fields: fields}}
		if status >= 500 {
			body.Error.RequestID = rid
		}
		return c.Status(status).JSON(body)
	}
	page := errorPage{Status: status, Message: msg, RequestID: rid, Fields: fields}
	if kind == errs.Unauthorized && c.Method() == fiber.MethodGet {
		return c.Redirect("/dang-nhap?tiep="+safeNext(c.OriginalURL()), fiber.StatusSeeOther)
	}
	b, rerr := s.pages.render("error", s.viewFor(c, "Lỗi", page))
	if rerr != nil {
		Logger(ctx).Error("render error page", "err", rerr)
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(status).SendString(msg + " (mã yêu cầu " + rid + ")")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(b)
}

type errorPage struct {
	Status    int
	Message   string
	RequestID string
	Fields    map[string]string
}

func wantsJSON(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") {
		return true
	}
	a := c.Get(fiber.HeaderAccept)
	return strings.Contains(a, "application/json") && !strings.Contains(a, "text/html")
}

// safeNext keeps a post-login redirect on our own site.
func safeNext(u string) string {
	const home = "/nhan-vien"
	// Browsers drop tabs and newlines from a URL and read a backslash as a
	// slash, so "/\t/evil.example" and "/\\evil.example" would leave the
	// site: any control character, space or backslash is refused, then the
	// rest must parse as a path of this origin.
	for i := 0; i < len(u); i++ {
		if b := u[i]; b <= ' ' || b == 0x7f || b == '\\' {
			return home
		}
	}
	if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") || !utf8.ValidString(u) {
		return home
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil || p.Opaque != "" || !strings.HasPrefix(p.Path, "/") ||
		strings.HasPrefix(p.Path, "//") {
		return home
	}
	return u
}

func stack() string {
	s := string(debug.Stack())
	if len(s) > 4000 {
		s = s[:4000]
	}
	return s
}
