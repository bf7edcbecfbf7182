package web

import (
	"crypto/hmac"
	"net/url"
	"regexp"

	"github.com/gofiber/fiber/v2"
)

// A success banner after a redirect carries its text in the URL
// (?thong-bao=…) with a signature bound to the session (&ky=…): only this
// server, for this user, can make a page show it. A link made by anyone
// else shows nothing.

func (s *Server) flashMAC(c *fiber.Ctx, msg string) string {
	return s.d.Auth.CSRFToken("flash\x00" + s.csrfBinding(c, false) + "\x00" + msg)[:32]
}

// flashQuery is the query (without "?") that makes the next page show msg.
func (s *Server) flashQuery(c *fiber.Ctx, msg string) string {
	return url.Values{"thong-bao": {msg}, "ky": {s.flashMAC(c, msg)}}.Encode()
}

// flashText is the banner of a signed ?thong-bao=, or "".
func (s *Server) flashText(c *fiber.Ctx) string {
	msg := c.Query("thong-bao")
	if msg == "" || s.csrfBinding(c, false) == "" || !hmac.Equal([]byte(c.Query("ky")), []byte(s.flashMAC(c, msg))) {
		return ""
	}
	return msg
}

// manifestCodePattern is the shape of a manifest code in a URL.
var manifestCodePattern = regexp.MustCompile(`^[A-Z0-9-]{3,40}$`)
