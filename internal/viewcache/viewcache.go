// Package viewcache keeps read models in memory for exactly as long as the
// database says they are current. Entries are dropped by key or all at once
// when a change is reported; the cache stores nothing while the change feed
// is not known to deliver (Listening); a fill that raced with a change is not
// stored (Begin, Put); entries expire after a while anyway and the total size
// is bounded (least recently used go first). Fresh is a barrier for
// read-your-writes: after this process acknowledged a write (Wrote), hits
// wait until every change committed before has been applied.
package viewcache

import (
	"container/list"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// logSize is how many recent changes a fill can be checked against; a fill
// that spans more changes than that is not stored.
const logSize = 4096

// all marks a change of everything in the log.
const all = "\x00all"

// Options tune a cache. Zero values take the defaults.
type Options struct {
	MaxBytes int64         // total cost of the entries (32 MiB)
	TTL      time.Duration // longest life of an entry (5 minutes)
	Now      func() time.Time
	// Sync returns once every change committed to the database before the
	// call has been reported to the cache. Nil: Fresh does not wait.
	Sync func(ctx context.Context) error
	// SyncTimeout bounds one Sync (1 s).
	SyncTimeout time.Duration
}

// Stats counts what the cache did.
type Stats struct {
	Hits, Misses    uint64
	Stored, Refused uint64 // fills kept, and fills refused (a change raced them, or not listening)
	Entries         int
	Bytes           int64
	Listening       bool
}

// Cache is safe for concurrent use.
type Cache struct {
	o Options

	mu        sync.Mutex
	listening bool
	seq       uint64          // changes so far
	log       [logSize]string // key of change i at i % logSize
	items     map[string]*list.Element
	lru       *list.List // of *entry, most recent first
	bytes     int64
	st        Stats

	writes atomic.Uint64 // acknowledged writes of this process
	synced atomic.Uint64 // writes known to be reflected in the cache
	rmu    sync.Mutex
	round  *round
}

type entry struct {
	keys    []string
	v       any
	cost    int64
	expires time.Time
}

type round struct {
	target uint64
	done   chan struct{}
	err    error
}

// Ticket is taken by Begin before a fill reads the database.
type Ticket struct {
	seq uint64
	ok  bool
}

// New returns an empty cache that stores nothing until Listening(true).
func New(o Options) *Cache {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 32 << 20
	}
	if o.TTL <= 0 {
		o.TTL = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SyncTimeout <= 0 {
		o.SyncTimeout = time.Second
	}
	return &Cache{o: o, items: map[string]*list.Element{}, lru: list.New()}
}

// Get returns the value stored under key.
func (c *Cache) Get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		c.st.Misses++
		return nil, false
	}
	e := el.Value.(*entry)
	if !c.o.Now().Before(e.expires) {
		c.remove(el)
		c.st.Misses++
		return nil, false
	}
	c.lru.MoveToFront(el)
	c.st.Hits++
	return e.v, true
}

// Begin starts a fill: take the ticket before reading the database, and hand
// it to Put with what was read.
func (c *Cache) Begin() Ticket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Ticket{seq: c.seq, ok: c.listening}
}

// Put stores v, of the given cost in bytes, under every key, unless the cache
// was not listening when the ticket was taken or is not now, or a change of
// one of the keys (or of everything) was reported since. It reports whether
// v was stored.
func (c *Cache) Put(t Ticket, v any, cost int64, keys ...string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fillValid(t, keys) || cost > c.o.MaxBytes || len(keys) == 0 {
		c.st.Refused++
		return false
	}
	for _, k := range keys {
		if el, ok := c.items[k]; ok {
			c.remove(el)
		}
	}
	e := &entry{keys: append([]string(nil), keys...), v: v, cost: cost, expires: c.o.Now().Add(c.o.TTL)}
	el := c.lru.PushFront(e)
	for _, k := range keys {
		c.items[k] = el
	}
	c.bytes += cost
	for c.bytes > c.o.MaxBytes {
		c.remove(c.lru.Back())
	}
	c.st.Stored++
	return true
}

func (c *Cache) fillValid(t Ticket, keys []string) bool {
	if !t.ok || !c.listening || c.seq-t.seq > logSize {
		return false
	}
	for i := t.seq; i < c.seq; i++ {
		k := c.log[i%logSize]
		if k == all {
			return false
		}
		for _, key := range keys {
			if k == key {
				return false
			}
		}
	}
	return true
}

// Changed drops the entry stored under key and refuses fills of it that
// began before.
func (c *Cache) Changed(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.record(key)
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
}

// ChangedAll drops every entry and refuses every fill that began before.
func (c *Cache) ChangedAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.record(all)
	c.clear()
}

// Listening tells whether changes are being delivered. Either way the cache
// is emptied: off, because changes may be lost from now on; on, because
// those lost before are unknown. While off, nothing is stored.
func (c *Cache) Listening(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listening = on
	c.record(all)
	c.clear()
}

// Wrote notes that this process acknowledged a write: hits wait in Fresh
// until the changes it made are applied.
func (c *Cache) Wrote() { c.writes.Add(1) }

// Fresh returns once every change committed before the last write this
// process acknowledged has been applied to the cache, so that a client never
// reads its own write stale. Without writes since the last barrier it
// returns at once, with waited false; after waiting, look the entry up
// again. On an error the caller must not serve a hit.
func (c *Cache) Fresh(ctx context.Context) (waited bool, err error) {
	if c.o.Sync == nil {
		return false, nil
	}
	w := c.writes.Load()
	if c.synced.Load() >= w {
		return false, nil
	}
	c.rmu.Lock()
	r := c.round
	if r == nil || r.target < w {
		// The target is read before the barrier is sent: every write it
		// counts committed before.
		r = &round{target: c.writes.Load(), done: make(chan struct{})}
		c.round = r
		go c.run(r)
	}
	c.rmu.Unlock()
	select {
	case <-r.done:
		return true, r.err
	case <-ctx.Done():
		return true, ctx.Err()
	}
}

func (c *Cache) run(r *round) {
	ctx, cancel := context.WithTimeout(context.Background(), c.o.SyncTimeout)
	defer cancel()
	r.err = c.o.Sync(ctx)
	if r.err == nil {
		for {
			s := c.synced.Load()
			if s >= r.target || c.synced.CompareAndSwap(s, r.target) {
				break
			}
		}
	}
	close(r.done)
	c.rmu.Lock()
	if c.round == r {
		c.round = nil
	}
	c.rmu.Unlock()
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	s.Entries = c.lru.Len()
	s.Bytes = c.bytes
	s.Listening = c.listening
	return s
}

func (c *Cache) record(key string) {
	c.log[c.seq%logSize] = key
	c.seq++
}

func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*entry)
	for _, k := range e.keys {
		if c.items[k] == el {
			delete(c.items, k)
		}
	}
	c.bytes -= e.cost
}

func (c *Cache) clear() {
	c.items = map[string]*list.Element{}
	c.lru.Init()
	c.bytes = 0
}
