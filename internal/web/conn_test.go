package web

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestReadTimeoutClosesSilently: a connection that sends nothing, or only
// part of a request, is closed at the read timeout without a byte written;
// a complete request on another connection is still answered.
func TestReadTimeoutClosesSilently(t *testing.T) {
	s, err := build(Deps{ReadTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.App().Listener(ln) }()
	t.Cleanup(func() { _ = s.App().Shutdown() })

	for _, tc := range []struct{ name, send string }{
		{"nothing", ""},
		{"half a request line", "GET /healthz HT"},
		{"headers never finished", "GET /healthz HTTP/1.1\r\nHost: x\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tc.send != "" {
				if _, err := io.WriteString(c, tc.send); err != nil {
					t.Fatal(err)
				}
			}
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			b, err := io.ReadAll(c)
			if len(b) != 0 {
				t.Fatalf("wrote %q to a connection that sent no complete request", b)
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server did not close the connection at its read timeout")
			}
		})
	}

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz: %d", resp.StatusCode)
	}
}

// TestNewRefusesMissingService: New names the first missing service, the
// same one every time.
func TestNewRefusesMissingService(t *testing.T) {
	for i := 0; i < 20; i++ {
		_, err := New(Deps{})
		if err == nil || err.Error() != "web: Deps.Units is not set" {
			t.Fatalf("New(Deps{}) = %v, want the first missing service, Units", err)
		}
	}
}
