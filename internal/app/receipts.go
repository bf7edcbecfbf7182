package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"hoso/internal/errs"
	"hoso/internal/translog"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// receiptZone is the zone receipt times are written in.
var receiptZone = time.FixedZone("ICT", 7*3600)

// StoredReceipt is a signed receipt as kept: the content exactly as signed
// (tracking.Receipt's JSON) and the signature over its canonical text.
type StoredReceipt struct {
	Code      string
	Kind      tracking.ReceiptKind
	ParcelID  string
	EventID   string
	Content   []byte
	Signature []byte
	KeyID     string
	SignedAt  time.Time
}

// ReceiptSigner signs and checks receipts with the server's key
// (internal/receipts.Key).
type ReceiptSigner interface {
	Sign(r tracking.Receipt) ([]byte, error)
	Verify(r tracking.Receipt, sig []byte) bool
	KeyID() string
}

// ReceiptStore is what receipts need from persistence.
type ReceiptStore interface {
	InsertReceipt(ctx context.Context, r StoredReceipt) error
	FindReceipt(ctx context.Context, code string) (StoredReceipt, error)
	FindParcelReceipt(ctx context.Context, parcelID string, kind tracking.ReceiptKind) (StoredReceipt, error)
	FindParcelByReceiptCode(ctx context.Context, code string) (Parcel, error)
	FindParcel(ctx context.Context, id string) (Parcel, error)
	EventHash(ctx context.Context, eventID string) ([]byte, error)
	FindUserByStaffCode(ctx context.Context, code string) (User, error)
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	FindDesk(ctx context.Context, code string) (Desk, error)
}

// Receipts signs the citizen's receipt when the papers are collected and
// the delivery receipt when a result is handed over, inside the ledger's
// transaction, and checks them again whenever someone looks.
type Receipts struct {
	Store  ReceiptStore
	Signer ReceiptSigner
	// PublicKey is the text form of the key that checks the signatures
	// ("ed25519:…"), shown to citizens for checking offline.
	PublicKey string
	Now       func() time.Time
	// NewCode makes a receipt code for a parcel that has none (a return leg,
	// or a pickup registered before codes were given at intake).
	NewCode func() string
	// Log, when set, proves each receipt's event is in the transparency
	// log: the check compares the log's leaf with the receipt and attaches
	// a proof bundle once a witnessed checkpoint covers it.
	Log *Log
}

// ChainAfter runs ledger hooks one after the other, skipping nil ones, so
// several parts of the system can act inside the ledger's transaction.
func ChainAfter(hooks ...func(ctx context.Context, writes []AppendInput) error) func(ctx context.Context, writes []AppendInput) error {
	var hs []func(ctx context.Context, writes []AppendInput) error
	for _, h := range hooks {
		if h != nil {
			hs = append(hs, h)
		}
	}
	return func(ctx context.Context, writes []AppendInput) error {
		for _, h := range hs {
			if err := h(ctx, writes); err != nil {
				return err
			}
		}
		return nil
	}
}

// After is the ledger hook: for every pickup.collected and
// delivery.completed in a written batch it builds the receipt, signs it and
// stores it, in the batch's transaction (an error rolls the batch back, so
// there is never a collection without its receipt).
func (s *Receipts) After(ctx context.Context, writes []AppendInput) error {
	names := &receiptNames{store: s.Store, desks: map[string]string{}, offices: map[string]string{}, courierOffices: map[string]string{}}
	for _, w := range writes {
		var (
			r   tracking.Receipt
			err error
		)
		switch w.Event.Type {
		case tracking.PickupCollected:
			r, err = s.pickupReceipt(ctx, names, w)
		case tracking.DeliveryCompleted:
			r, err = s.deliveryReceipt(ctx, names, w)
		default:
			continue
		}
		if err != nil {
			return err
		}
		sig, err := s.Signer.Sign(r)
		if err != nil {
			return errs.Wrapf(errs.Internal, err, "ký biên nhận %s", r.Code)
		}
		if err := s.Store.InsertReceipt(ctx, StoredReceipt{Code: r.Code, Kind: r.Kind, ParcelID: w.Parcel.ID, EventID: w.Event.ID,
			Content: r.JSON(), Signature: sig, KeyID: s.Signer.KeyID(), SignedAt: s.Now().UTC().Truncate(time.Microsecond)}); err != nil {
			return err
		}
	}
	return nil
}

// clip cuts s to at most n characters: a receipt never fails for a long
// free-text field.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func (s *Receipts) newCode() string {
	if s.NewCode != nil {
		return s.NewCode()
	}
	return NewReceiptCode()
}

// handedAt is when the papers changed hands: the device's time when the
// courier's phone recorded it, else the server's.
func handedAt(ev tracking.Event) time.Time {
	if ev.DeviceAt != nil && !ev.DeviceAt.IsZero() {
		return ev.DeviceAt.In(receiptZone)
	}
	return ev.ServerAt.In(receiptZone)
}

// receiptNames looks up, once per batch, the names a receipt states.
type receiptNames struct {
	store          ReceiptStore
	desks          map[string]string // desk code → name
	offices        map[string]string // office code → name
	courierOffices map[string]string // staff code → office code
}

func (n *receiptNames) desk(ctx context.Context, code string) (string, error) {
	if v, ok := n.desks[code]; ok {
		return v, nil
	}
	d, err := n.store.FindDesk(ctx, code)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return "", err
	}
	n.desks[code] = d.Name
	return d.Name, nil
}

func (n *receiptNames) office(ctx context.Context, code string) (string, error) {
	if v, ok := n.offices[code]; ok || code == "" {
		return v, nil
	}
	o, err := n.store.FindOffice(ctx, code)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return "", err
	}
	n.offices[code] = o.Name
	return o.Name, nil
}

func (n *receiptNames) courierOffice(ctx context.Context, staff string) (string, error) {
	if v, ok := n.courierOffices[staff]; ok {
		return v, nil
	}
	u, err := n.store.FindUserByStaffCode(ctx, staff)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return "", err
	}
	n.courierOffices[staff] = u.OfficeCode
	return u.OfficeCode, nil
}

// base fills what both receipts share from the parcel and the event.
func (s *Receipts) base(ctx context.Context, names *receiptNames, kind tracking.ReceiptKind, w AppendInput) (tracking.Receipt, error) {
	p, ev := w.Parcel, w.Event
	code := p.ReceiptCode
	if !tracking.ValidReceiptCode(code) {
		code = s.newCode()
	}
	r := tracking.Receipt{
		Kind: kind, Code: code, TrackingNumber: p.Number, DossierCode: p.Dossier.Code,
		ProcedureCode: p.Dossier.ProcedureCode, Procedure: p.Dossier.ProcedureName, DeskCode: p.DeskCode,
		At: handedAt(ev), RecordedAt: ev.ServerAt.In(receiptZone), CourierCode: ev.Actor.Ref,
		Initials: vntext.Initials(p.CitizenName), EventID: ev.ID, EventHash: hex.EncodeToString(ev.Hash),
	}
	var err error
	if r.DeskName, err = names.desk(ctx, p.DeskCode); err != nil {
		return r, err
	}
	// The courier's own office; the parcel's zone office if the courier
	// has none on record. At a counter, the office that took the papers.
	if ev.Actor.Kind == tracking.PartyOffice {
		r.OfficeCode = ev.Actor.Ref
	} else if r.OfficeCode, err = names.courierOffice(ctx, ev.Actor.Ref); err != nil {
		return r, err
	}
	if r.OfficeCode == "" {
		r.OfficeCode = p.OfficeCode
	}
	if r.OfficeName, err = names.office(ctx, r.OfficeCode); err != nil {
		return r, err
	}
	return r, nil
}

func (s *Receipts) pickupReceipt(ctx context.Context, names *receiptNames, w AppendInput) (tracking.Receipt, error) {
	r, err := s.base(ctx, names, tracking.ReceiptPickup, w)
	if err != nil {
		return r, err
	}
	var d tracking.Collected
	if err := json.Unmarshal(w.Event.Data, &d); err != nil {
		return r, errs.Wrapf(errs.Internal, err, "đọc dữ liệu thu gom %s", w.Parcel.Number)
	}
	got := map[int]int{}
	for _, c := range w.Outcome.Collected {
		got[c.Line] = c.Count
	}
	disp := map[int]tracking.Disposition{}
	for _, c := range w.Outcome.Collected {
		disp[c.Line] = c.Disposition
	}
	for i, doc := range w.Parcel.Documents {
		r.Documents = append(r.Documents, tracking.ReceiptLine{Line: i + 1, Name: doc.Name, Kind: doc.Kind, Listed: doc.Count, Count: got[i+1], Disposition: disp[i+1]})
	}
	if w.Event.Actor.Kind == tracking.PartyOffice {
		// A counter drop-off: the clerk stands where the courier would.
		r.Counter, r.CourierCode = true, d.Clerk
	}
	r.SealID = w.Outcome.SealID
	if r.SealID == "" {
		r.SealID = d.SealID
	}
	r.Partial, r.Note = d.Partial, clip(vntext.NFC(d.PartialReason), 500)
	if d.Proof != nil && tracking.ProofText(d.Proof, true) != "" {
		r.Proof = d.Proof.Method
	}
	return r, nil
}

func (s *Receipts) deliveryReceipt(ctx context.Context, names *receiptNames, w AppendInput) (tracking.Receipt, error) {
	r, err := s.base(ctx, names, tracking.ReceiptDelivery, w)
	if err != nil {
		return r, err
	}
	var d tracking.Delivered
	if err := json.Unmarshal(w.Event.Data, &d); err != nil {
		return r, errs.Wrapf(errs.Internal, err, "đọc dữ liệu giao kết quả %s", w.Parcel.Number)
	}
	for i, doc := range w.Parcel.Documents {
		r.Documents = append(r.Documents, tracking.ReceiptLine{Line: i + 1, Name: doc.Name, Kind: doc.Kind, Listed: doc.Count, Count: doc.Count})
	}
	r.Fee = d.FeeCollected
	if p := d.Proof; p != nil && tracking.ProofText(p, false) != "" {
		r.Verification, r.Proof = p.Method, p.Method
		if p.Method == tracking.ProofProxy {
			if in := vntext.Initials(p.ProxyName); in != "" {
				r.Initials = in
			}
			r.Authorisation = clip(vntext.NFC(p.Authorisation), 300)
		}
	}
	return r, nil
}

// ReceiptCheck is what the verification page shows: the receipt as stored,
// whether it is genuine, and, for a code given at intake whose papers are not
// yet collected, the parcel.
type ReceiptCheck struct {
	Code    string
	Signed  bool   // a signed receipt exists
	Parcel  Parcel // the parcel the code belongs to
	Receipt tracking.Receipt
	Stored  StoredReceipt
	// Genuine is true only when the stored content parses, is complete, its
	// signature is the server's, and the ledger event it names still has
	// the hash it names. Problem says in Vietnamese what failed.
	Genuine bool
	Problem string
	// The transparency log: the receipt's leaf index (when sequenced), and
	// its proof bundle against the latest witnessed checkpoint (nil while
	// no such checkpoint covers it: LogPending says why).
	LogIndex   int64
	Proof      *Bundle
	LogPending string
}

// Check looks a receipt code up (any form a person types) and re-verifies
// the signature against the stored content. Unknown and malformed codes
// are the same NotFound.
func (s *Receipts) Check(ctx context.Context, raw string) (ReceiptCheck, error) {
	code, ok := tracking.ParseReceiptCode(raw)
	if !ok {
		return ReceiptCheck{}, errReceiptNotFound()
	}
	st, err := s.Store.FindReceipt(ctx, code)
	switch {
	case errs.Is(err, errs.NotFound):
		p, err := s.Store.FindParcelByReceiptCode(ctx, code)
		if errs.Is(err, errs.NotFound) {
			return ReceiptCheck{}, errReceiptNotFound()
		}
		if err != nil {
			return ReceiptCheck{}, err
		}
		return ReceiptCheck{Code: code, Parcel: p}, nil
	case err != nil:
		return ReceiptCheck{}, err
	}
	c := ReceiptCheck{Code: code, Signed: true, Stored: st}
	if p, err := s.Store.FindParcel(ctx, st.ParcelID); err == nil {
		c.Parcel = p
	}
	c.Receipt, c.Genuine, c.Problem = s.verify(ctx, st)
	if err := s.logProof(ctx, &c); err != nil {
		return c, err
	}
	return c, nil
}

func errReceiptNotFound() error {
	return errs.E(errs.NotFound, "Không tìm thấy biên nhận với mã này. Kiểm tra lại mã in trên giấy biên nhận (10 ký tự, ví dụ 7Q3MX-K2D9P).")
}

// verify re-checks a stored receipt: its content must parse and be
// complete, be the receipt stored under its code, carry the server's
// signature, and agree with the ledger.
func (s *Receipts) verify(ctx context.Context, st StoredReceipt) (tracking.Receipt, bool, string) {
	r, err := tracking.ParseReceipt(st.Content)
	if err != nil {
		return r, false, "Nội dung biên nhận đã lưu không đọc được."
	}
	if err := r.Validate(); err != nil {
		return r, false, "Nội dung biên nhận đã lưu không đầy đủ."
	}
	if r.Code != st.Code || r.Kind != st.Kind || r.EventID != st.EventID {
		return r, false, "Nội dung biên nhận không khớp với mã biên nhận."
	}
	if !s.Signer.Verify(r, st.Signature) {
		return r, false, "Chữ ký số không khớp với nội dung: biên nhận đã bị sửa sau khi ký."
	}
	h, err := s.Store.EventHash(ctx, r.EventID)
	if err != nil || !bytes.Equal(h, hexBytes(r.EventHash)) {
		return r, false, "Biên nhận không khớp với sổ theo dõi bưu gửi."
	}
	return r, true, ""
}

func hexBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

// Find returns a parcel's signed receipt of one kind, re-verified; NotFound
// when there is none yet.
func (s *Receipts) Find(ctx context.Context, parcelID string, kind tracking.ReceiptKind) (ReceiptCheck, error) {
	st, err := s.Store.FindParcelReceipt(ctx, parcelID, kind)
	if err != nil {
		return ReceiptCheck{}, err
	}
	c := ReceiptCheck{Code: st.Code, Signed: true, Stored: st}
	c.Receipt, c.Genuine, c.Problem = s.verify(ctx, st)
	if err := s.logProof(ctx, &c); err != nil {
		return c, err
	}
	return c, nil
}

// logProof checks a genuine receipt against the transparency log: the
// log's leaf for its event must be the leaf the receipt gives, and the
// proof bundle (built on every view, so a receipt issued before its
// checkpoint gets one later) must verify against the witnessed checkpoint.
func (s *Receipts) logProof(ctx context.Context, c *ReceiptCheck) error {
	if s.Log == nil || !c.Genuine {
		return nil
	}
	want, err := receiptLeaf(c.Receipt)
	if err != nil {
		c.Genuine, c.Problem = false, "Biên nhận không dựng lại được mục của sổ minh bạch."
		return nil
	}
	b, err := s.Log.BundleFor(ctx, "event", c.Receipt.EventID)
	switch {
	case errs.Is(err, errs.NotFound):
		c.LogIndex, c.LogPending = -1, "Sự kiện vừa được ghi, chưa vào sổ minh bạch; xem lại sau ít phút."
		return nil
	case b.Leaf.Body != nil && !bytes.Equal(b.Leaf.Body, want):
		c.Genuine, c.Problem = false, "Biên nhận không khớp với mục của sự kiện trong sổ minh bạch."
		return nil
	case errors.Is(err, ErrNoCheckpoint):
		c.LogIndex, c.LogPending = b.Leaf.Index, "Sự kiện đã vào sổ minh bạch nhưng chưa có điểm kiểm được nhân chứng ký; xem lại sau ít phút."
		return nil
	case errs.Is(err, errs.Unavailable) || errors.Is(err, ErrCheckpointUnverifiable):
		// Not the receipt's fault: the check cannot be made (a database
		// away, or keys that do not match the stored checkpoints).
		return err
	case err != nil:
		// A stored tree that no longer leads to the witnessed root: the
		// log was changed after the witnesses signed.
		c.Genuine, c.Problem = false, "Sổ minh bạch không còn chứng minh được sự kiện của biên nhận này."
		return nil
	}
	c.LogIndex, c.Proof = b.Leaf.Index, &b
	return nil
}

// receiptLeaf is the log leaf a receipt names (receipts.Leaf, without
// importing the key package).
func receiptLeaf(r tracking.Receipt) ([]byte, error) {
	h, err := hex.DecodeString(r.EventHash)
	if err != nil {
		return nil, err
	}
	l := translog.EventLeaf(r.EventID, string(r.Kind.EventType()), r.RecordedAt, h)
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l.Bytes(), nil
}
