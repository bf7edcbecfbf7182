package web

import (
	"errors"
	"net"
	"strings"

	"github.com/valyala/fasthttp"
)

// closeSilentlyOnReadTimeout makes a connection that sends no complete
// request within the read timeout close without an answer, as net/http
// does. fasthttp would otherwise hand the timeout to the error handler and
// write an error page nobody asked for: on a connection a client opened
// and kept spare, that page arrives unsolicited (Go's client logs
// "Unsolicited response received on idle HTTP channel") and counts as a
// server error in the logs and metrics.
func (s *Server) closeSilentlyOnReadTimeout() {
	srv := s.app.Server()
	next := srv.ErrorHandler
	srv.ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		if isTimeout(err) {
			s.d.Log.Debug("connection closed: no complete request within the read timeout")
			// The answer fasthttp writes after this goes to a closed
			// connection and is dropped.
			_ = ctx.Conn().Close()
			return
		}
		next(ctx, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, fasthttp.ErrTimeout) || strings.Contains(err.Error(), "timeout")
}
