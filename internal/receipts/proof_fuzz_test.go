package receipts_test

import (
	"bytes"
	"testing"
	"time"

	"hoso/internal/receipts"
	"hoso/internal/translog"
	"hoso/tracking"
)

// FuzzCheckProof: a downloaded receipt document with a transparency log
// proof, as a citizen's file may be (edited, truncated, made up). Nothing
// panics, and a proof only verifies for the leaf its receipt gives.
func FuzzCheckProof(f *testing.F) {
	lk, _ := translog.NewLogKey(bytes.Repeat([]byte{1}, 32), "hoso.example.vn/api/v1/log")
	pol, err := translog.NewPolicy(lk.Vkey(), nil, 0)
	if err != nil {
		f.Fatal(err)
	}
	r := tracking.Receipt{Kind: tracking.ReceiptPickup, Code: "7Q3MX-K2D9P", TrackingNumber: "EA123456785VN", DossierCode: "D-1",
		Documents: []tracking.ReceiptLine{{Line: 1, Name: "Tờ khai", Kind: tracking.Original, Listed: 1, Count: 1}}, SealID: "NP-1",
		At: time.Unix(1_800_000_000, 0), RecordedAt: time.Unix(1_800_000_000, 0), CourierCode: "BT1", Initials: "N. V. A.",
		EventID: "8a6b1c2d-0000-4000-8000-000000000001", EventHash: "aa00000000000000000000000000000000000000000000000000000000000000"}
	leaf, err := receipts.Leaf(r)
	if err != nil {
		f.Fatal(err)
	}
	other := translog.LeafHash([]byte("other"))
	root := translog.NodeHash(translog.LeafHash(leaf), other)
	note, _ := lk.SignCheckpoint(translog.Checkpoint{Origin: lk.Origin(), Size: 2, Root: root, Time: time.Unix(1_800_000_000, 0)})
	good := receipts.Document{Format: tracking.ReceiptFormat, Receipt: r, Signature: "AA==", KeyID: "x",
		Proof: string(translog.Proof{Index: 0, Hashes: []translog.Hash{other}, Checkpoint: note}.Text())}
	if _, _, err := good.CheckProof(pol); err != nil {
		f.Fatalf("seed proof: %v", err)
	}
	f.Add(good.JSON())
	f.Add([]byte(`{"format":"hoso-receipt-v1","proof":"c2sp.org/tlog-proof@v1\nindex 0\n\n"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := receipts.ParseDocument(raw)
		if err != nil {
			return
		}
		if _, idx, err := d.CheckProof(pol); err == nil {
			l, lerr := receipts.Leaf(d.Receipt)
			if lerr != nil || !bytes.Equal(l, leaf) || idx != 0 {
				t.Fatalf("a proof verified for another leaf (index %d)", idx)
			}
		}
	})
}
