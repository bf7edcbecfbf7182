package viewcache_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hoso/internal/viewcache"
)

func listening(o viewcache.Options) *viewcache.Cache {
	c := viewcache.New(o)
	c.Listening(true)
	return c
}

func mustGet(t *testing.T, c *viewcache.Cache, key string, want any) {
	t.Helper()
	v, ok := c.Get(key)
	if !ok || v != want {
		t.Errorf("Get(%q) = %v, %v; want %v", key, v, ok, want)
	}
}

func mustMiss(t *testing.T, c *viewcache.Cache, key string) {
	t.Helper()
	if v, ok := c.Get(key); ok {
		t.Errorf("Get(%q) = %v, want a miss", key, v)
	}
}

func TestFillAndChangeByAnyKey(t *testing.T) {
	c := listening(viewcache.Options{})
	if !c.Put(c.Begin(), "v1", 10, "EA123456785VN", "id-1") {
		t.Fatal("Put refused")
	}
	mustGet(t, c, "EA123456785VN", "v1")
	mustGet(t, c, "id-1", "v1")
	c.Changed("id-1") // notifications name the parcel's id
	mustMiss(t, c, "EA123456785VN")
	mustMiss(t, c, "id-1")
	if s := c.Stats(); s.Entries != 0 || s.Bytes != 0 {
		t.Errorf("after Changed: %+v", s)
	}
}

// A fill that read the database before a change of its key was reported
// must not be stored: it may hold the state before the change.
func TestFillRacingAChangeIsRefused(t *testing.T) {
	cases := []struct {
		name   string
		during func(c *viewcache.Cache)
		stored bool
	}{
		{"nothing", func(*viewcache.Cache) {}, true},
		{"its id", func(c *viewcache.Cache) { c.Changed("id-1") }, false},
		{"its number", func(c *viewcache.Cache) { c.Changed("N1") }, false},
		{"another parcel", func(c *viewcache.Cache) { c.Changed("id-2") }, true},
		{"everything", func(c *viewcache.Cache) { c.ChangedAll() }, false},
		{"feed lost and back", func(c *viewcache.Cache) { c.Listening(false); c.Listening(true) }, false},
		{"feed lost", func(c *viewcache.Cache) { c.Listening(false) }, false},
		{"more changes than the log holds", func(c *viewcache.Cache) {
			for i := 0; i < 5000; i++ {
				c.Changed(fmt.Sprint("other-", i))
			}
		}, false},
		{"many changes the log still holds", func(c *viewcache.Cache) {
			for i := 0; i < 4000; i++ {
				c.Changed(fmt.Sprint("other-", i))
			}
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := listening(viewcache.Options{})
			tk := c.Begin()
			tc.during(c)
			if got := c.Put(tk, "v", 10, "N1", "id-1"); got != tc.stored {
				t.Errorf("Put = %v, want %v", got, tc.stored)
			}
			if _, ok := c.Get("N1"); ok != tc.stored {
				t.Errorf("Get after Put = %v, want %v", ok, tc.stored)
			}
		})
	}
}

func TestNothingStoredWhileNotListening(t *testing.T) {
	c := viewcache.New(viewcache.Options{})
	if c.Put(c.Begin(), "v", 1, "k") {
		t.Error("stored before Listening(true)")
	}
	c.Listening(true)
	c.Put(c.Begin(), "v", 1, "k")
	mustGet(t, c, "k", "v")
	c.Listening(false)
	mustMiss(t, c, "k")
	if c.Put(c.Begin(), "v", 1, "k") {
		t.Error("stored while not listening")
	}
	if s := c.Stats(); s.Listening || s.Refused != 2 || s.Stored != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestChangedAllEmpties(t *testing.T) {
	c := listening(viewcache.Options{})
	for i := 0; i < 10; i++ {
		c.Put(c.Begin(), i, 1, fmt.Sprint(i))
	}
	c.ChangedAll()
	for i := 0; i < 10; i++ {
		mustMiss(t, c, fmt.Sprint(i))
	}
}

func TestEntriesExpire(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	c := listening(viewcache.Options{TTL: time.Minute, Now: func() time.Time { return now }})
	c.Put(c.Begin(), "v", 1, "k")
	now = now.Add(59 * time.Second)
	mustGet(t, c, "k", "v")
	now = now.Add(time.Second)
	mustMiss(t, c, "k")
	if s := c.Stats(); s.Entries != 0 {
		t.Errorf("expired entry kept: %+v", s)
	}
}

func TestSizeBoundEvictsLeastRecentlyUsed(t *testing.T) {
	c := listening(viewcache.Options{MaxBytes: 100})
	for i := 0; i < 4; i++ {
		c.Put(c.Begin(), i, 25, fmt.Sprint(i))
	}
	mustGet(t, c, "0", 0) // 0 is now the most recent; 1 the least
	c.Put(c.Begin(), 4, 25, "4")
	mustMiss(t, c, "1")
	for _, k := range []int{0, 2, 3, 4} {
		mustGet(t, c, fmt.Sprint(k), k)
	}
	if s := c.Stats(); s.Bytes != 100 || s.Entries != 4 {
		t.Errorf("stats %+v", s)
	}
	if c.Put(c.Begin(), "big", 101, "big") {
		t.Error("stored an entry larger than the whole cache")
	}
	// Replacing a key replaces its entry, not adds one.
	c.Put(c.Begin(), "again", 25, "4")
	mustGet(t, c, "4", "again")
	if s := c.Stats(); s.Bytes != 100 {
		t.Errorf("bytes after replacing = %d", s.Bytes)
	}
}

func TestFreshWaitsOnlyAfterWrites(t *testing.T) {
	var syncs atomic.Int32
	release := make(chan struct{})
	c := listening(viewcache.Options{Sync: func(ctx context.Context) error {
		syncs.Add(1)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	ctx := context.Background()
	if waited, err := c.Fresh(ctx); waited || err != nil {
		t.Fatalf("Fresh without writes = %v, %v", waited, err)
	}
	c.Wrote()
	// Concurrent readers share one barrier. The barrier is released only
	// once all 20 wait on it: a reader is waiting when Fresh asks its
	// context for Done.
	var wg sync.WaitGroup
	joined := make(chan struct{}, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if waited, err := c.Fresh(&joinCtx{Context: ctx, joined: joined}); !waited || err != nil {
				t.Errorf("Fresh after a write = %v, %v", waited, err)
			}
		}()
	}
	for i := 0; i < 20; i++ {
		select {
		case <-joined:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of 20 readers waited for the barrier", i)
		}
	}
	close(release)
	wg.Wait()
	if n := syncs.Load(); n != 1 {
		t.Errorf("%d barriers for one write, want 1", n)
	}
	if waited, err := c.Fresh(ctx); waited || err != nil {
		t.Errorf("Fresh once synced = %v, %v", waited, err)
	}
}

func TestFreshFailsWhenTheBarrierFails(t *testing.T) {
	boom := errors.New("feed down")
	c := listening(viewcache.Options{Sync: func(context.Context) error { return boom }})
	c.Wrote()
	if _, err := c.Fresh(context.Background()); !errors.Is(err, boom) {
		t.Errorf("Fresh = %v, want %v", err, boom)
	}
	// Still owed: the next call tries again.
	if waited, _ := c.Fresh(context.Background()); !waited {
		t.Error("a failed barrier counted as done")
	}
}

func TestFreshTimesOut(t *testing.T) {
	c := listening(viewcache.Options{SyncTimeout: 20 * time.Millisecond, Sync: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	c.Wrote()
	start := time.Now()
	if _, err := c.Fresh(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Fresh = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s", d)
	}
}

// Hammered from many goroutines (run with -race): once the writers stop,
// every cached value is the current one, however fills and changes
// interleaved.
func TestConcurrentFillsNeverResurrectOldValues(t *testing.T) {
	c := listening(viewcache.Options{MaxBytes: 1 << 10})
	var version [8]atomic.Int64 // the "database"
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := (i + w) % len(version)
				version[k].Add(1)
				c.Changed(fmt.Sprint(k)) // the notification, after the commit
			}
		}(w)
	}
	for r := 0; r < 6; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for i := 0; i < 20000; i++ {
				k := (i * (r + 1)) % len(version)
				key := fmt.Sprint(k)
				if _, ok := c.Get(key); ok {
					continue
				}
				tk := c.Begin()
				v := version[k].Load()
				runtime.Gosched() // widen the window for a change to race the fill
				c.Put(tk, v, 16, key)
			}
		}(r)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	// Quiet now: every cached value must be the current one.
	for k := range version {
		if v, ok := c.Get(fmt.Sprint(k)); ok && v.(int64) != version[k].Load() {
			t.Errorf("key %d cached %v, database has %d", k, v, version[k].Load())
		}
	}
}

// joinCtx reports, once, that a reader is waiting in Fresh (which asks the
// context for Done only when it waits).
type joinCtx struct {
	context.Context
	once   sync.Once
	joined chan<- struct{}
}

func (c *joinCtx) Done() <-chan struct{} {
	c.once.Do(func() { c.joined <- struct{}{} })
	return c.Context.Done()
}
