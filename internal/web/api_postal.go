package web

import (
	"bytes"
	"encoding/csv"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/portalsig"
)

const localPostal = "postal"

// postalAuth authenticates a postal system's signed request (signed as the
// portal API, with X-Postal-Id). The pull API takes no body.
func (s *Server) postalAuth(c *fiber.Ctx) error {
	if s.d.Postal == nil {
		return errs.E(errs.NotFound, "Không có API cho hệ thống bưu chính")
	}
	if len(c.Body()) > 0 {
		return errs.E(errs.Invalid, "Yêu cầu GET không có nội dung").WithFields(map[string]string{"body": "để trống"})
	}
	client, err := s.d.Postal.Authenticate(c.UserContext(), app.SignedRequest{
		PortalID: c.Get(portalsig.HeaderPostalID), Timestamp: c.Get(portalsig.HeaderTimestamp), Nonce: c.Get(portalsig.HeaderNonce),
		Signature: c.Get(portalsig.HeaderSignature), Method: c.Method(), PathWithQuery: c.OriginalURL(),
	})
	if err != nil {
		return err
	}
	c.Locals(localPostal, client)
	return c.Next()
}

type postalPageJSON struct {
	Events     []app.PostalRecord `json:"events"`
	NextCursor string             `json:"next_cursor"`
	More       bool               `json:"more"`
}

// postalEvents is GET /api/v1/postal/events?after=CURSOR&limit=N&format=json|csv:
// the client's EMSEVT records in commit order after a cursor.
func (s *Server) postalEvents(c *fiber.Ctx) error {
	client, _ := c.Locals(localPostal).(app.PostalClient)
	format := c.Query("format", "json")
	if format != "json" && format != "csv" {
		return errs.E(errs.Invalid, "Định dạng không hợp lệ").WithFields(map[string]string{"format": "json hoặc csv"})
	}
	limit := 0
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > app.PostalMaxLimit {
			return errs.E(errs.Invalid, "Số bản ghi mỗi trang không hợp lệ").WithFields(map[string]string{"limit": "từ 1 đến " + strconv.Itoa(app.PostalMaxLimit)})
		}
		limit = n
	}
	page, err := s.d.Postal.Events(c.UserContext(), client, c.Query("after"), limit)
	if err != nil {
		return err
	}
	c.Set("X-Next-Cursor", page.Next)
	c.Set("X-More", strconv.FormatBool(page.More))
	if format == "json" {
		if page.Records == nil {
			page.Records = []app.PostalRecord{}
		}
		return c.JSON(postalPageJSON{Events: page.Records, NextCursor: page.Next, More: page.More})
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(app.PostalCSVHeader)
	for _, r := range page.Records {
		_ = w.Write(r.CSV())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	return c.Send(b.Bytes())
}
