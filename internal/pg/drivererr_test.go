package pg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/errs"
)

// The driver's errors that mean "try later" become Unavailable, by value,
// not by their text: a closed pool, a pool with no free connection, a
// connection refused, a connection cut mid-answer.
func TestTranslateDriverErrors(t *testing.T) {
	closed, timeout := poolSentinels()
	if closed == nil || timeout == nil {
		t.Fatalf("sentinels not captured: %v, %v", closed, timeout)
	}
	if closed.Error() != "pg: database is closed" || timeout.Error() != "pg: connection pool timeout" {
		t.Fatalf("go-pg changed its pool errors: %q, %q", closed, timeout)
	}
	// A real refused connection.
	db := pg.Connect(&pg.Options{Addr: "127.0.0.1:1", DialTimeout: time.Second, MaxRetries: 0})
	defer db.Close()
	_, refused := db.ExecContext(context.Background(), "SELECT 1")
	for _, tt := range []struct {
		name string
		err  error
		want errs.Kind
	}{
		{"closed pool", closed, errs.Unavailable},
		{"pool timeout", fmt.Errorf("wrapped: %w", timeout), errs.Unavailable},
		{"refused", refused, errs.Unavailable},
		{"EOF", io.EOF, errs.Unavailable},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), errs.Unavailable},
		{"no rows", pg.ErrNoRows, errs.NotFound},
		{"deadline", context.DeadlineExceeded, errs.Unavailable},
		// Text that merely mentions EOF is not a lost connection.
		{"EOF in a message", errors.New("value ends with EOF marker"), errs.Internal},
	} {
		if got := errs.KindOf(translate(tt.err)); got != tt.want {
			t.Errorf("%s: %v → %s, want %s", tt.name, tt.err, got, tt.want)
		}
	}
}
