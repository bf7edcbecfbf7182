package secret_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"hoso/internal/secret"
)

var (
	keyA = bytes.Repeat([]byte{0xA1}, 32)
	keyB = bytes.Repeat([]byte{0xB2}, 32)
	keyC = bytes.Repeat([]byte{0xC3}, 32)
)

func mustBox(t testing.TB, current, previous []byte) *secret.Box {
	t.Helper()
	b, err := secret.NewRotatingBox(current, previous)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRotatingBoxOpens checks which boxes open which values: a value sealed
// under A opens with A, with B+A, not with B alone, not with C+B.
func TestRotatingBoxOpens(t *testing.T) {
	ctx := []byte("parcels.phone")
	sealedA := mustBox(t, keyA, nil).Seal([]byte("0912345678"), ctx)
	sealedBA := mustBox(t, keyB, keyA).Seal([]byte("0987654321"), ctx)
	for _, tc := range []struct {
		name              string
		current, previous []byte
		sealed            []byte
		want              string // "" means it must not open
	}{
		{"old value, old key", keyA, nil, sealedA, "0912345678"},
		{"old value, new key with old as previous", keyB, keyA, sealedA, "0912345678"},
		{"old value, new key alone", keyB, nil, sealedA, ""},
		{"old value, unrelated keys", keyC, keyB, sealedA, ""},
		{"new value, new key alone", keyB, nil, sealedBA, "0987654321"},
		{"new value, new key with previous", keyB, keyA, sealedBA, "0987654321"},
		{"new value, old key alone", keyA, nil, sealedBA, ""},
		{"new value, keys swapped", keyA, keyB, sealedBA, "0987654321"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mustBox(t, tc.current, tc.previous).Open(tc.sealed, ctx)
			if tc.want == "" {
				if err == nil || !errors.Is(err, secret.ErrOpen) {
					t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("Open = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestRotatingBoxSealsWithCurrent(t *testing.T) {
	rot := mustBox(t, keyB, keyA)
	s := rot.Seal([]byte("x"), []byte("c"))
	if _, err := mustBox(t, keyB, nil).Open(s, []byte("c")); err != nil {
		t.Errorf("sealed value does not open with the current key alone: %v", err)
	}
	if _, err := mustBox(t, keyA, nil).Open(s, []byte("c")); err == nil {
		t.Error("sealed value opens with the previous key: sealed with the wrong key")
	}
	if !rot.HasPrevious() || mustBox(t, keyB, nil).HasPrevious() {
		t.Error("HasPrevious wrong")
	}
}

func TestRotatingBoxErrors(t *testing.T) {
	if _, err := secret.NewRotatingBox(keyA, keyA); err == nil {
		t.Error("previous key equal to the current one accepted")
	}
	if _, err := secret.NewRotatingBox(keyA, []byte("short")); err == nil {
		t.Error("short previous key accepted")
	}
	if _, err := secret.NewRotatingBox([]byte("short"), keyA); err == nil {
		t.Error("short current key accepted")
	}
	s := mustBox(t, keyC, nil).Seal([]byte("0912345678"), []byte("c"))
	_, err := mustBox(t, keyB, keyA).Open(s, []byte("c"))
	if !errors.Is(err, secret.ErrOpen) || !strings.Contains(err.Error(), "previous") {
		t.Errorf("error with two keys = %v; want ErrOpen naming both keys", err)
	}
	if strings.Contains(err.Error(), "0912345678") {
		t.Error("error shows the value")
	}
	// The context still binds with the previous key.
	old := mustBox(t, keyA, nil).Seal([]byte("v"), []byte("parcels.phone"))
	if _, err := mustBox(t, keyB, keyA).Open(old, []byte("sms_messages.phone")); err == nil {
		t.Error("opened with the previous key under another context")
	}
}

func TestReseal(t *testing.T) {
	ctx := []byte("portal_clients.secret:dvc")
	rot := mustBox(t, keyB, keyA)
	old := mustBox(t, keyA, nil).Seal([]byte("bí mật"), ctx)

	out, resealed, err := rot.Reseal(old, ctx)
	if err != nil || !resealed {
		t.Fatalf("Reseal(old) = %v, %v; want resealed", resealed, err)
	}
	if got, err := mustBox(t, keyB, nil).Open(out, ctx); err != nil || string(got) != "bí mật" {
		t.Fatalf("resealed value opens with the new key alone = %q, %v", got, err)
	}
	again, resealed, err := rot.Reseal(out, ctx)
	if err != nil || resealed || !bytes.Equal(again, out) {
		t.Fatalf("Reseal(current) = %v, %v, changed %v; want unchanged", resealed, err, !bytes.Equal(again, out))
	}
	bad := append([]byte(nil), old...)
	bad[len(bad)-1] ^= 1
	if out, _, err := rot.Reseal(bad, ctx); err == nil || out != nil || !errors.Is(err, secret.ErrOpen) {
		t.Errorf("Reseal(damaged) = %x, %v; want ErrOpen", out, err)
	}
	// Without a previous key nothing is resealed and an old value fails.
	if _, _, err := mustBox(t, keyB, nil).Reseal(old, ctx); err == nil {
		t.Error("Reseal without the previous key opened an old value")
	}
}

// FuzzRotatingBox: any input either opens to what was sealed or fails with
// ErrOpen; it never panics, and a value sealed under A opens under B+A.
func FuzzRotatingBox(f *testing.F) {
	f.Add([]byte("0912345678"), []byte("parcels.phone"), []byte{1, 2, 3})
	f.Add([]byte(""), []byte(""), []byte{})
	f.Fuzz(func(t *testing.T, plain, context, junk []byte) {
		old := mustBox(t, keyA, nil)
		rot := mustBox(t, keyB, keyA)
		got, err := rot.Open(old.Seal(plain, context), context)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open(Seal_A) under B+A = %q, %v", got, err)
		}
		if pt, err := rot.Open(junk, context); err == nil {
			// Only a real seal may open; random junk does with probability 2⁻¹²⁸.
			t.Fatalf("junk %x opened to %q", junk, pt)
		} else if !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("junk error %v is not ErrOpen", err)
		}
		out, resealed, err := rot.Reseal(old.Seal(plain, context), context)
		if err != nil || !resealed {
			t.Fatalf("Reseal = %v, %v", resealed, err)
		}
		if got, err := mustBox(t, keyB, nil).Open(out, context); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("resealed opens under B = %q, %v", got, err)
		}
	})
}
