package pg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// PublicChannel is the NOTIFY channel of changes to what the public timeline
// shows (migration 0007): a parcel's id, or "*" for every parcel.
const PublicChannel = "hoso_public"

// FindPublicTimeline loads what the public timeline of a parcel shows, in
// one round trip: the parcel's public columns and its dossier, documents,
// offered windows and events. Of the citizen it reads only the name (the
// page shows initials) and the phone's last three digits: not the sealed
// phone, the address or the CCCD digits. Custody, status and the plan come
// from the parcel's projection.
func (d *DB) FindPublicTimeline(ctx context.Context, number string) (_ app.Parcel, _ []tracking.Event, err error) {
	defer errs.Wrap(&err, "pg.FindPublicTimeline %s", number)
	var r struct {
		ID            string
		Number        string
		Leg           tracking.Leg
		Status        tracking.Status
		Channel       string
		DossierCode   string
		ProcedureName string
		LegalDeadline *time.Time
		CitizenName   string
		PhoneLast3    string
		DeskCode      string
		CustodianKind string
		CustodianRef  string
		PlannedDate   *time.Time
		WindowStart   *time.Time
		WindowEnd     *time.Time
		FeeAmount     int64
		ReceiptCode   string
		Documents     string
		Windows       string
		Events        string
	}
	err = d.queryOne(ctx, &r, `SELECT p.id, p.tracking_number AS number, p.leg, p.status, p.channel, d.code AS dossier_code,
			d.procedure_name, d.legal_deadline, p.citizen_name, p.phone_last3, p.desk_code,
			coalesce(p.custodian_kind, '') AS custodian_kind, coalesce(p.custodian_ref, '') AS custodian_ref,
			p.planned_date, p.window_start, p.window_end, p.fee_amount, coalesce(p.receipt_code, '') AS receipt_code,
			(SELECT coalesce(json_agg(json_build_array(x.name, x.kind, x.count) ORDER BY x.line), '[]')
				FROM parcel_documents x WHERE x.parcel_id = p.id)::text AS documents,
			(SELECT coalesce(json_agg(json_build_array(w.starts_at, w.ends_at) ORDER BY w.idx), '[]')
				FROM pickup_windows w WHERE w.parcel_id = p.id)::text AS windows,
			(SELECT coalesce(json_agg(json_build_object('id', e.id, 'seq', e.parcel_seq, 'type', e.type, 'upu', e.upu_code,
					'ak', e.actor_kind, 'ar', e.actor_ref, 'dev', e.device_at, 'srv', e.server_at, 'data', e.data)
					ORDER BY e.parcel_seq), '[]')
				FROM events e WHERE e.parcel_id = p.id)::text AS events
		FROM parcels p JOIN dossiers d ON d.id = p.dossier_id
		WHERE p.tracking_number = ?`, number)
	if errs.Is(err, errs.NotFound) {
		return app.Parcel{}, nil, errs.E(errs.NotFound, "không tìm thấy bưu gửi")
	}
	if err != nil {
		return app.Parcel{}, nil, fmt.Errorf("FindPublicTimeline(%q): %w", number, err)
	}
	p := app.Parcel{ID: r.ID, Number: r.Number, Leg: r.Leg, Status: r.Status, Channel: tracking.Channel(r.Channel),
		Dossier:     tracking.Dossier{Code: r.DossierCode, ProcedureName: r.ProcedureName, LegalDeadline: r.LegalDeadline},
		CitizenName: r.CitizenName, PhoneLast3: r.PhoneLast3, DeskCode: r.DeskCode,
		Custodian:   tracking.Party{Kind: tracking.PartyKind(r.CustodianKind), Ref: r.CustodianRef},
		PlannedDate: r.PlannedDate, WindowStart: r.WindowStart, WindowEnd: r.WindowEnd, FeeAmount: r.FeeAmount, ReceiptCode: r.ReceiptCode}
	var docs [][3]json.RawMessage
	if err := json.Unmarshal([]byte(r.Documents), &docs); err != nil {
		return app.Parcel{}, nil, fmt.Errorf("FindPublicTimeline(%q) documents: %w", number, err)
	}
	for _, x := range docs {
		var doc tracking.Document
		var kind string
		if err := unmarshalAll(x[:], &doc.Name, &kind, &doc.Count); err != nil {
			return app.Parcel{}, nil, fmt.Errorf("FindPublicTimeline(%q) documents: %w", number, err)
		}
		doc.Kind = tracking.DocKind(kind)
		p.Documents = append(p.Documents, doc)
	}
	var wins [][2]time.Time
	if err := json.Unmarshal([]byte(r.Windows), &wins); err != nil {
		return app.Parcel{}, nil, fmt.Errorf("FindPublicTimeline(%q) windows: %w", number, err)
	}
	for _, w := range wins {
		p.Windows = append(p.Windows, tracking.Window{Start: w[0], End: w[1]})
	}
	var evs []struct {
		ID   string          `json:"id"`
		Seq  int             `json:"seq"`
		Type string          `json:"type"`
		UPU  string          `json:"upu"`
		AK   string          `json:"ak"`
		AR   string          `json:"ar"`
		Dev  *time.Time      `json:"dev"`
		Srv  time.Time       `json:"srv"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.Events), &evs); err != nil {
		return app.Parcel{}, nil, fmt.Errorf("FindPublicTimeline(%q) events: %w", number, err)
	}
	out := make([]tracking.Event, len(evs))
	for i, e := range evs {
		out[i] = tracking.Event{ID: e.ID, ParcelID: p.ID, Number: p.Number, Seq: e.Seq, Type: tracking.EventType(e.Type), UPU: e.UPU,
			Actor: tracking.Party{Kind: tracking.PartyKind(e.AK), Ref: e.AR}, DeviceAt: e.Dev, ServerAt: e.Srv, Data: e.Data}
	}
	return p, out, nil
}

func unmarshalAll(raw []json.RawMessage, into ...any) error {
	for i, v := range into {
		if err := json.Unmarshal(raw[i], v); err != nil {
			return err
		}
	}
	return nil
}

// PublicChanges is told what channel hoso_public reports.
type PublicChanges interface {
	// Changed: the public view of the parcel with this id changed.
	Changed(parcelID string)
	// ChangedAll: something every view may show changed.
	ChangedAll()
	// Listening: whether changes are being delivered. Off, changes may be
	// lost from now on; on, every change committed from now on will be told.
	Listening(on bool)
}

// PublicListener follows channel hoso_public on a connection of its own.
// Run tells a PublicChanges what changed; Sync is a barrier behind every
// change committed before it.
type PublicListener struct {
	db  *DB
	log *slog.Logger
	id  string // prefix of this listener's own sync tokens

	mu    sync.Mutex
	sent  uint64        // last sync token sent
	got   uint64        // highest own sync token received
	gotCh chan struct{} // closed and replaced when got moves

	// PingEvery is how often a live session checks its connection with a
	// sync token (5 s); PingTimeout how long a token may take (5 s) before
	// the session is dropped and the cache with it.
	PingEvery, PingTimeout time.Duration
}

// NewPublicListener returns a listener; Run starts it.
func (d *DB) NewPublicListener(log *slog.Logger) *PublicListener {
	var b [8]byte
	_, _ = rand.Read(b[:])
	if log == nil {
		log = slog.Default()
	}
	return &PublicListener{db: d, log: log, id: "sync:" + hex.EncodeToString(b[:]) + ":", gotCh: make(chan struct{}),
		PingEvery: 5 * time.Second, PingTimeout: 5 * time.Second}
}

// Sync returns once every notification committed before the call has been
// handed to Run's receiver: it sends a token of its own on the channel and
// waits for it to come back (PostgreSQL delivers in commit order).
func (l *PublicListener) Sync(ctx context.Context) (err error) {
	defer errs.Wrap(&err, "pg.Sync")
	l.mu.Lock()
	l.sent++
	n := l.sent
	l.mu.Unlock()
	if _, err := l.db.exec(ctx, `SELECT pg_notify(?, ?)`, PublicChannel, l.id+strconv.FormatUint(n, 10)); err != nil {
		return fmt.Errorf("public listener sync: %w", err)
	}
	for {
		l.mu.Lock()
		got, ch := l.got, l.gotCh
		l.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("public listener sync: %w", ctx.Err())
		}
	}
}

// Run listens until ctx ends. Each session opens a connection, LISTENs, and
// reports Listening(true) only once a sync token sent after the LISTEN comes
// back; a lost connection, or a token that does not come back within
// PingTimeout, ends the session with Listening(false), and a new one starts.
func (l *PublicListener) Run(ctx context.Context, to PublicChanges) {
	to.Listening(false)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		start := time.Now()
		err := l.session(ctx, to)
		to.Listening(false)
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("public timeline cache off: change feed lost", "err", err)
		if time.Since(start) > time.Minute {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (l *PublicListener) session(ctx context.Context, to PublicChanges) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ln := l.db.direct.Listen(sctx, PublicChannel)
	var closeOnce sync.Once
	closeLn := func() { closeOnce.Do(func() { _ = ln.Close() }) }
	defer closeLn()
	go func() {
		<-sctx.Done() // unblocks Receive
		closeLn()
	}()

	l.mu.Lock()
	first := l.sent + 1 // a token sent from now on proves this session's LISTEN
	l.mu.Unlock()
	var ready atomic.Bool
	pingErr := make(chan error, 1)
	go func() {
		for sctx.Err() == nil {
			if !ready.Load() {
				// Until a token comes back, send one every 100 ms: the first
				// may have gone before the LISTEN took effect.
				pctx, pcancel := context.WithTimeout(sctx, 100*time.Millisecond)
				_ = l.Sync(pctx)
				pcancel()
				continue
			}
			select {
			case <-sctx.Done():
				return
			case <-time.After(l.PingEvery):
			}
			pctx, pcancel := context.WithTimeout(sctx, l.PingTimeout)
			err := l.Sync(pctx)
			pcancel()
			if err != nil && sctx.Err() == nil {
				pingErr <- err
				closeLn()
				return
			}
		}
	}()

	for {
		ch, payload, err := ln.Receive(sctx)
		if err != nil {
			select {
			case perr := <-pingErr:
				return fmt.Errorf("sync token not back in %s: %w", l.PingTimeout, perr)
			default:
			}
			return err
		}
		if ch != PublicChannel {
			continue
		}
		switch {
		case strings.HasPrefix(payload, l.id):
			n, _ := strconv.ParseUint(payload[len(l.id):], 10, 64)
			if n >= first && !ready.Load() {
				ready.Store(true)
				to.Listening(true)
			}
			l.mu.Lock()
			if n > l.got {
				l.got = n
				close(l.gotCh)
				l.gotCh = make(chan struct{})
			}
			l.mu.Unlock()
		case strings.HasPrefix(payload, "sync:"):
			// Another instance's token.
		case payload == "*":
			to.ChangedAll()
		default:
			to.Changed(payload)
		}
	}
}
