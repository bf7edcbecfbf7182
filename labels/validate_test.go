package labels

import (
	"bytes"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Invalid input gives a clear error wrapping ErrInvalidInput, never a panic
// and never a half-written PDF.
func TestValidation(t *testing.T) {
	s := Samples()
	o := testOpts()
	type tc struct {
		name   string
		render func(w io.Writer) error
		want   string // part of the message
	}
	label := func(f func(*Label)) func(io.Writer) error {
		l := s.Label
		f(&l)
		return func(w io.Writer) error { return RenderLabel(w, l, o) }
	}
	receipt := func(f func(*Receipt)) func(io.Writer) error {
		r := s.Receipt
		r.Documents = append([]Document(nil), r.Documents...)
		f(&r)
		return func(w io.Writer) error { return RenderReceipt(w, r, o) }
	}
	manifest := func(f func(*Manifest)) func(io.Writer) error {
		m := s.Manifest
		m.Parcels = append([]ManifestParcel(nil), m.Parcels...)
		m.Discrepancies = append([]Discrepancy(nil), m.Discrepancies...)
		f(&m)
		return func(w io.Writer) error { return RenderManifest(w, m, o) }
	}
	delivery := func(f func(*DeliveryReceipt)) func(io.Writer) error {
		r := s.DeliveryReceipt
		f(&r)
		return func(w io.Writer) error { return RenderDeliveryReceipt(w, r, o) }
	}
	fees := func(f func(*FeeStatement)) func(io.Writer) error {
		r := s.FeeStatement
		r.Rows = append([]FeeRow(nil), r.Rows...)
		f(&r)
		return func(w io.Writer) error { return RenderFeeStatement(w, r, o) }
	}
	pack := func(f func(*RoutePack)) func(io.Writer) error {
		r := s.RoutePack
		r.Stops = append([]Stop(nil), r.Stops...)
		f(&r)
		return func(w io.Writer) error { return RenderRoutePack(w, r, o) }
	}
	tests := []tc{
		{"label empty tracking number", label(func(l *Label) { l.TrackingNumber = "" }), "tracking number is empty"},
		{"label non-ASCII tracking number", label(func(l *Label) { l.TrackingNumber = "EĐ123456785VN" }), "upper-case letter"},
		{"label lower-case tracking number", label(func(l *Label) { l.TrackingNumber = "ea123456785vn" }), "upper-case letter"},
		{"label bad check digit", label(func(l *Label) { l.TrackingNumber = "EA123456784VN" }), "check digit"},
		{"label no URL", label(func(l *Label) { l.TrackingURL = "" }), "tracking URL is empty"},
		{"label URL not http", label(func(l *Label) { l.TrackingURL = "javascript:alert(1)" }), "absolute http(s) URL"},
		{"label URL with Vietnamese", label(func(l *Label) { l.TrackingURL = "https://hoso.example.org/tra-cứu/EA123456785VN" }), "printable ASCII"},
		{"label bad phone", label(func(l *Label) { l.From.Phone = "12345" }), "sender: phone number"},
		{"label no initials", label(func(l *Label) { l.From.Initials = "  " }), "sender initials is empty"},
		{"label zero documents", label(func(l *Label) { l.DocumentCount = 0 }), "documents count 0"},
		{"label no desk", label(func(l *Label) { l.To.Name = "" }), "desk name is empty"},
		{"receipt empty code", receipt(func(r *Receipt) { r.Code = "" }), "receipt code is empty"},
		{"receipt code with space", receipt(func(r *Receipt) { r.Code = "BN 7K3M" }), "printable ASCII"},
		{"receipt URL for another code", receipt(func(r *Receipt) { r.VerifyURL = "https://hoso.example.org/bien-nhan/BN-OTHER" }), "does not lead to receipt"},
		{"receipt no documents", receipt(func(r *Receipt) { r.Documents = nil }), "no documents listed"},
		{"receipt document kind", receipt(func(r *Receipt) { r.Documents[1].Kind = 0 }), "document 2"},
		{"receipt document count", receipt(func(r *Receipt) { r.Documents[0].Count = 0 }), "count 0"},
		{"receipt no time", receipt(func(r *Receipt) { r.CollectedAt = time.Time{} }), "collection time is missing"},
		{"receipt no courier", receipt(func(r *Receipt) { r.CourierCode = "" }), "courier's staff code"},
		{"manifest no parcels", manifest(func(m *Manifest) { m.Parcels = nil }), "no parcels"},
		{"manifest duplicate", manifest(func(m *Manifest) { m.Parcels[2] = m.Parcels[0] }), "listed twice"},
		{"manifest bad row", manifest(func(m *Manifest) { m.Parcels[4].TrackingNumber = "XX" }), "row 5"},
		{"manifest code non-ASCII", manifest(func(m *Manifest) { m.Code = "BẢNG-KÊ-1" }), "manifest code"},
		{"manifest no time", manifest(func(m *Manifest) { m.At = time.Time{} }), "hand-off time"},
		{"manifest other without detail", manifest(func(m *Manifest) {
			m.Discrepancies[0] = Discrepancy{TrackingNumber: m.Parcels[0].TrackingNumber, Kind: OtherProblem}
		}), "needs a detail"},
		{"manifest no giver", manifest(func(m *Manifest) { m.From = Party{} }), "manifest giver"},
		{"delivery proxy without reference", delivery(func(r *DeliveryReceipt) { r.AuthorisationRef = "" }), "authorisation reference"},
		{"delivery no method", delivery(func(r *DeliveryReceipt) { r.Method = 0 }), "verification method"},
		{"delivery negative fee", delivery(func(r *DeliveryReceipt) { r.Fee = -1 }), "negative fee"},
		{"delivery no recipient", delivery(func(r *DeliveryReceipt) { r.RecipientInitials = "" }), "recipient initials"},
		{"fees bad row", fees(func(f *FeeStatement) { f.Rows[1].TrackingNumber = "EA12345678XVN" }), "row 2"},
		{"fees negative", fees(func(f *FeeStatement) { f.Rows[0].Fee = -5 }), "negative fee"},
		{"pack no stops", pack(func(r *RoutePack) { r.Stops = nil }), "no stops"},
		{"pack out of order", pack(func(r *RoutePack) { r.Stops[0], r.Stops[1] = r.Stops[1], r.Stops[0] }), "route order"},
		{"pack mismatched receipt", pack(func(r *RoutePack) { r.Stops[0].Receipt = r.Stops[1].Receipt }), "receipt is for"},
		{"pack bad label", pack(func(r *RoutePack) { r.Stops[2].Label.TrackingNumber = "" }), "stop 3 label"},
		{"no Created", func(w io.Writer) error { return RenderLabel(w, s.Label, Options{}) }, "Options.Created"},
		{"no labels", func(w io.Writer) error { return RenderLabels(w, nil, o) }, "no labels"},
		{"batch names the label", func(w io.Writer) error {
			bad := s.Label
			bad.TrackingNumber = "EA1"
			return RenderLabels(w, []Label{s.Label, bad}, o)
		}, "label 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := tt.render(&buf)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error %v does not wrap ErrInvalidInput", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
		})
	}
}

// A pre-filled receipt needs neither time nor courier; an unknown seal is
// fine everywhere; a fee of 0 and a receipt with a missing document render.
func TestOptionalFields(t *testing.T) {
	s := Samples()
	o := testOpts()
	r := s.Receipt
	r.Prefilled, r.CollectedAt, r.CourierCode, r.SealID = true, time.Time{}, "", ""
	if err := RenderReceipt(io.Discard, r, o); err != nil {
		t.Errorf("pre-filled receipt: %v", err)
	}
	r = s.Receipt
	r.Documents = append([]Document(nil), r.Documents...)
	r.Documents[2].Received = false
	if err := RenderReceipt(io.Discard, r, o); err != nil {
		t.Errorf("partial receipt: %v", err)
	}
	l := s.Label
	l.SealID, l.ProcedureCode, l.Service = "", "", ""
	if err := RenderLabel(io.Discard, l, o); err != nil {
		t.Errorf("label without seal: %v", err)
	}
	d := s.DeliveryReceipt
	d.Fee, d.Method, d.AuthorisationRef = 0, VerifyOTP, ""
	if err := RenderDeliveryReceipt(io.Discard, d, o); err != nil {
		t.Errorf("delivery without fee: %v", err)
	}
	f := s.FeeStatement
	f.Rows = nil
	if err := RenderFeeStatement(io.Discard, f, o); err != nil {
		t.Errorf("empty fee statement: %v", err)
	}
}

// Long text never breaks the layout: it wraps, shrinks or is cut with "…";
// a receipt with many documents runs onto more pages per copy.
func TestLongInputs(t *testing.T) {
	s := Samples()
	o := testOpts()
	long := strings.Repeat("Giấy xác nhận tình trạng hôn nhân do Ủy ban nhân dân cấp xã nơi cư trú cấp ", 6)
	l := s.Label
	l.Procedure, l.To.Name, l.From.Commune, l.DossierCode, l.SealID = long, long, long, long, long
	if err := RenderLabel(io.Discard, l, o); err != nil {
		t.Errorf("long label: %v", err)
	}
	r := s.Receipt
	r.Documents = nil
	for i := range 40 {
		r.Documents = append(r.Documents, Document{Name: strconv.Itoa(i+1) + ". " + long, Kind: kindAt(i), Count: 1 + i%3, Received: true})
	}
	r.Note = long
	if err := RenderReceipt(io.Discard, r, o); err != nil {
		t.Errorf("long receipt: %v", err)
	}
	m := s.Manifest
	m.Discrepancies = nil
	for _, p := range m.Parcels {
		m.Discrepancies = append(m.Discrepancies, Discrepancy{TrackingNumber: p.TrackingNumber, Kind: OtherProblem, Detail: long})
	}
	if err := RenderManifest(io.Discard, m, o); err != nil {
		t.Errorf("long manifest: %v", err)
	}
}

// kindAt cycles through the three document kinds.
func kindAt(i int) DocumentKind { return DocumentKind(1 + i%3) }

// The package imports only the standard library, gofpdf, boombuler/barcode,
// x/text (architecture.md) and the project's one money formatter (a leaf of
// the standard library): never a domain or adapter package.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{"github.com/jung-kurt/gofpdf", "github.com/boombuler/barcode", "golang.org/x/text/"}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			std := !strings.Contains(strings.Split(path, "/")[0], ".")
			ok := std
			for _, a := range allowed {
				ok = ok || strings.HasPrefix(path, a)
			}
			if path == "hoso/internal/dong" {
				continue
			}
			if !ok || strings.HasPrefix(path, "hoso") {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}

// Renderers never panic, whatever the text: only ErrInvalidInput may come
// back.
func FuzzLabelText(f *testing.F) {
	for _, seed := range []string{"", "Phường Hoàn Kiếm", "Phuờ\u0300ng", "😀🇻🇳", "漢字", "\x00\x01\n\t", "\xff\xfe", strings.Repeat("Đ", 500), "\u202eRTL", "a\u0301\u0301\u0301"} {
		f.Add(seed)
	}
	s := Samples()
	o := testOpts()
	f.Fuzz(func(t *testing.T, text string) {
		l := s.Label
		l.From.Initials, l.From.Commune, l.To.Name, l.To.Commune = text, text, text, text
		l.DossierCode, l.Procedure, l.SealID, l.Service = text, text, text, text
		if err := RenderLabel(io.Discard, l, o); err != nil && !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("label: %v", err)
		}
		r := s.Receipt
		r.Documents = []Document{{Name: text, Kind: Original, Count: 1, Received: true}}
		r.Note, r.Procedure, r.Office = text, text, text
		if err := RenderReceipt(io.Discard, r, o); err != nil && !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("receipt: %v", err)
		}
		if _, err := MaskPhone(text); err != nil && !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("MaskPhone: %v", err)
		}
		_ = CheckS10(text)
	})
}
