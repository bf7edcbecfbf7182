package pg

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/go-pg/pg/v10"
)

// go-pg keeps two of its pool's errors unexported: the pool was closed,
// and no connection became free within PoolTimeout. Both mean "try again
// later" (503), never an internal error. Rather than match their text, the
// adapter makes each happen once, in memory and without a server, and
// keeps the value for errors.Is.
var poolSentinels = sync.OnceValues(func() (closed, timeout error) {
	// Closed: any statement on a closed pool.
	db := pg.Connect(&pg.Options{Addr: "127.0.0.1:1"})
	db.Close()
	_, closed = db.Exec("SELECT 1")

	// Timeout: a pool of one whose only turn is held by a dial that
	// never ends, then a second statement that waits 1 ms for a turn.
	release := make(chan struct{})
	dialing := make(chan struct{})
	var once sync.Once
	db = pg.Connect(&pg.Options{PoolSize: 1, PoolTimeout: time.Millisecond, MaxRetries: 0,
		Dialer: func(ctx context.Context, _, _ string) (net.Conn, error) {
			once.Do(func() { close(dialing) })
			<-release
			return nil, errors.New("pg: sentinel probe: no dial")
		}})
	defer db.Close()
	held := make(chan struct{})
	go func() {
		defer close(held)
		db.Exec("SELECT 1") //nolint:errcheck
	}()
	<-dialing
	_, timeout = db.Exec("SELECT 1")
	close(release)
	<-held
	return closed, timeout
})

// poolUnavailable reports whether err is go-pg's pool being closed or out
// of connections.
func poolUnavailable(err error) bool {
	closed, timeout := poolSentinels()
	return (closed != nil && errors.Is(err, closed)) || (timeout != nil && errors.Is(err, timeout))
}
