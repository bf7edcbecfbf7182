package secret_test

import (
	"bytes"
	"testing"

	"hoso/internal/secret"
)

func TestBoxRoundTripAndContext(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	s1 := b.Seal([]byte("0912345678"), []byte("phone"))
	s2 := b.Seal([]byte("0912345678"), []byte("phone"))
	if bytes.Equal(s1, s2) {
		t.Error("two seals of one value are equal: nonce reused")
	}
	if bytes.Contains(s1, []byte("0912345678")) {
		t.Error("plaintext visible in sealed value")
	}
	got, err := b.Open(s1, []byte("phone"))
	if err != nil || string(got) != "0912345678" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open(s1, []byte("other")); err == nil {
		t.Error("opened with the wrong context")
	}
	s1[len(s1)-1] ^= 1
	if _, err := b.Open(s1, []byte("phone")); err == nil {
		t.Error("opened a tampered value")
	}
	other, _ := secret.NewBox(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(s2, []byte("phone")); err == nil {
		t.Error("opened with another key")
	}
	if _, err := secret.NewBox([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
	if _, err := b.Open(nil, nil); err == nil {
		t.Error("empty value opened")
	}
}

func TestHasherSeparatesPurposes(t *testing.T) {
	h, _ := secret.NewHasher(bytes.Repeat([]byte{1}, 32))
	a := h.Sum("cccd", "019090001234")
	if !secret.Equal(a, h.Sum("cccd", "019090001234")) {
		t.Error("hash not stable")
	}
	if secret.Equal(a, h.Sum("phone", "019090001234")) {
		t.Error("purposes collide")
	}
	h2, _ := secret.NewHasher(bytes.Repeat([]byte{2}, 32))
	if secret.Equal(a, h2.Sum("cccd", "019090001234")) {
		t.Error("keys collide")
	}
}

func TestPassword(t *testing.T) {
	h, err := secret.HashPassword("mật khẩu dài")
	if err != nil {
		t.Fatal(err)
	}
	if !secret.CheckPassword(h, "mật khẩu dài") {
		t.Error("right password refused")
	}
	if secret.CheckPassword(h, "mật khẩu dai") {
		t.Error("wrong password accepted")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$x$y$z$w", h[:len(h)-3] + "!!!"} {
		if secret.CheckPassword(bad, "x") {
			t.Errorf("CheckPassword(%q) accepted", bad)
		}
	}
	if _, err := secret.HashPassword(""); err == nil {
		t.Error("empty password hashed")
	}
}

func TestDigitsAndToken(t *testing.T) {
	d := secret.Digits(6)
	if len(d) != 6 {
		t.Fatalf("Digits = %q", d)
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			t.Fatalf("Digits = %q", d)
		}
	}
	if a, b := secret.Token(32), secret.Token(32); a == b {
		t.Error("tokens repeat")
	}
}
