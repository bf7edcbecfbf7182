package outbox_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/notify"
	"hoso/tracking"
)

// Every kind the ledger's effects can produce has a Vietnamese template.
func TestEveryNotifyKindHasATemplate(t *testing.T) {
	for _, k := range app.NotifyKinds {
		if !slices.Contains(notify.Kinds, k) {
			t.Errorf("kind %q has no template", k)
		}
	}
	if len(app.NotifyKinds) != len(notify.Kinds) {
		t.Errorf("%d kinds produced, %d templates", len(app.NotifyKinds), len(notify.Kinds))
	}
}

func parcel() app.Parcel {
	at := time.Date(2026, 11, 24, 1, 30, 0, 0, time.UTC)
	ws, we := at.Add(time.Hour), at.Add(3*time.Hour)
	return app.Parcel{ID: "7f0c2f52-1b7d-4a0e-9c55-3a7a0e1d2b11", Number: "EA123456785VN", Leg: "pickup", Status: "collected",
		PortalClient: "dvc-19", DossierID: "d-1", Dossier: tracking.Dossier{Code: "000.00.19.H12-251120-0001"},
		CitizenName: "Nguyễn Văn A", PhoneEnc: []byte("sealed"), PhoneLast3: "987", AddressLine: "Số 12, tổ 3",
		ReceiptCode: "7K2QX-M9PTA", WindowStart: &ws, WindowEnd: &we, StatusSince: at,
		Documents: []tracking.Document{{Name: "Tờ khai", Kind: "original", Count: 1}, {Name: "Căn cước công dân", Kind: "certified_copy", Count: 2}},
		Custodian: tracking.Party{Kind: tracking.PartyCourier, Ref: "BUUTA1"}}
}

// The effects of an event: a callback exactly in the contract's shape and a
// notification naming only the parcel and the template, both ordered by the
// dossier; no personal data in either; no callback for a client known to
// have no URL, nor for a release.
func TestEffects(t *testing.T) {
	cbs := app.NewCallbackSet()
	e := &app.Effects{Callbacks: cbs, Notify: true, BaseURL: func() string { return "https://hoso.example.vn/" }}
	p := parcel()
	ev := tracking.Event{ID: "11111111-2222-3333-4444-555555555555", Type: tracking.PickupCollected, UPU: "EMA", ServerAt: p.StatusSince,
		Data: []byte(`{"documents":[{"line":1,"count":1},{"line":2,"count":2}],"method":"signature","seal_id":"NP-1","signature_sha256":"ab"}`)}
	out := tracking.Outcome{Type: tracking.PickupCollected, Status: tracking.StatusCollected, UPU: "EMA",
		Collected: []tracking.DocCount{{Line: 1, Kind: "original", Count: 1, Condition: "good"}, {Line: 2, Kind: "certified_copy", Count: 2, Condition: "good"}}}
	items := e.For(p, ev, out)
	if len(items) != 2 {
		t.Fatalf("%d items, want a callback and a notification", len(items))
	}
	cb, n := items[0], items[1]
	if cb.Topic != app.TopicPortal || cb.OrderKey != "d-1" || cb.Target != "dvc-19" || n.Topic != app.TopicNotify || n.OrderKey != "d-1" || n.Target != app.NotifyCollected {
		t.Fatalf("items %+v", items)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(cb.Payload, &body); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if strings.Join(keys, ",") != "at,detail,dossier_code,event_id,pickup_id,portal,status,tracking_number,upu_code" {
		t.Errorf("callback fields %v", keys)
	}
	var b app.CallbackBody
	_ = json.Unmarshal(cb.Payload, &b)
	if b.EventID != ev.ID || b.Status != "collected" || b.UPUCode != "EMA" || b.At != "2026-11-24T08:30:00+07:00" || b.PickupID != p.ID {
		t.Errorf("callback %+v", b)
	}
	// The national portal's terms beside ours: still registered, its time.
	if b.Portal == nil || b.Portal.TrangThaiHoSo != "1" || b.Portal.ThoiDiem != "20261124083000" || b.Portal.MaHoSo != p.Dossier.Code {
		t.Errorf("portal fields %+v", b.Portal)
	}
	if b.Detail["receipt_url"] != "https://hoso.example.vn/bien-nhan/7K2QX-M9PTA" {
		t.Errorf("receipt url %v", b.Detail["receipt_url"])
	}
	var pl app.NotifyPayload
	_ = json.Unmarshal(n.Payload, &pl)
	if pl.ParcelID != p.ID || pl.Kind != app.NotifyCollected || pl.Params["count"] != "3" || pl.Params["receipt_code"] != "7K2QX-M9PTA" {
		t.Errorf("notification %+v", pl)
	}
	for _, it := range items {
		for _, pii := range []string{"Nguyễn", "987", "Số 12", "sealed", "BUUTA1"} {
			if strings.Contains(string(it.Payload), pii) {
				t.Errorf("%s payload carries %q: %s", it.Topic, pii, it.Payload)
			}
		}
	}
	// A release changes no status: no callback, no message.
	rel := ev
	rel.Type, rel.UPU = tracking.HandoffReleased, ""
	if got := e.For(p, rel, tracking.Outcome{Type: tracking.HandoffReleased, Status: tracking.StatusCollected}); len(got) != 0 {
		t.Errorf("release produced %d items", len(got))
	}
	// A client known to have no callback URL gets no row.
	cbs.Replace(map[string]bool{"dvc-19": false})
	if got := e.For(p, ev, out); len(got) != 1 || got[0].Topic != app.TopicNotify {
		t.Errorf("client without URL: %+v", got)
	}
	// A return leg's callback carries its pickup's id.
	cbs.Replace(map[string]bool{"dvc-19": true})
	ret := p
	ret.ID, ret.ReturnOf, ret.Leg = "r-1", p.ID, "return"
	out.Status = tracking.StatusOutForDelivery
	dv := tracking.Event{ID: "e-2", Type: tracking.DeliveryOut, UPU: "EDG", ServerAt: p.StatusSince}
	got := e.For(ret, dv, tracking.Outcome{Type: tracking.DeliveryOut, Status: tracking.StatusOutForDelivery, UPU: "EDG"})
	if len(got) != 2 {
		t.Fatalf("delivery.out: %d items", len(got))
	}
	_ = json.Unmarshal(got[0].Payload, &b)
	_ = json.Unmarshal(got[1].Payload, &pl)
	if b.PickupID != p.ID || b.Detail["parcel_id"] != "r-1" || pl.Kind != app.NotifyResultOut || pl.ExpiresAt == nil {
		t.Errorf("return leg: %+v / %+v", b, pl)
	}
	// Cancelled by the citizen: they know, no message.
	cancel := tracking.Event{ID: "e-3", Type: tracking.ParcelCancelled, Actor: tracking.Party{Kind: tracking.PartyCitizen}, ServerAt: p.StatusSince}
	if got := e.For(p, cancel, tracking.Outcome{Type: tracking.ParcelCancelled, Status: tracking.StatusCancelled}); len(got) != 1 || got[0].Topic != app.TopicPortal {
		t.Errorf("cancel by the citizen: %+v", got)
	}
}

// Reply keywords, shared by the webhook and the notifier.
func TestParseOptOutReply(t *testing.T) {
	for text, want := range map[string][2]bool{"TC": {true, false}, "từ chối": {true, false}, "Huỷ tin": {true, false}, "dk": {false, true}, "ok": {}} {
		out, in := app.ParseOptOutReply(text)
		if out != want[0] || in != want[1] {
			t.Errorf("%q: %v %v", text, out, in)
		}
	}
}
