package portalsig_test

import (
	"strconv"
	"testing"
	"time"

	"hoso/internal/portalsig"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_790_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := "abcdefghijklmnop"
	body := []byte(`{"a":1}`)
	sig := portalsig.Sign(secret, "post", "/api/v1/portal/pickups?x=1", ts, nonce, body)
	if err := portalsig.Verify(secret, "POST", "/api/v1/portal/pickups?x=1", ts, nonce, body, sig, now); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	tests := []struct {
		name                 string
		method, path, ts, nn string
		body                 []byte
		sig                  string
		now                  time.Time
		want                 error
	}{
		{"body changed", "POST", "/api/v1/portal/pickups?x=1", ts, nonce, []byte(`{"a":2}`), sig, now, portalsig.ErrSignature},
		{"query changed", "POST", "/api/v1/portal/pickups?x=2", ts, nonce, body, sig, now, portalsig.ErrSignature},
		{"method changed", "GET", "/api/v1/portal/pickups?x=1", ts, nonce, body, sig, now, portalsig.ErrSignature},
		{"stale", "POST", "/api/v1/portal/pickups?x=1", ts, nonce, body, sig, now.Add(301 * time.Second), portalsig.ErrTimestamp},
		{"future", "POST", "/api/v1/portal/pickups?x=1", ts, nonce, body, sig, now.Add(-301 * time.Second), portalsig.ErrTimestamp},
		{"bad ts", "POST", "/api/v1/portal/pickups?x=1", "12a", nonce, body, sig, now, portalsig.ErrTimestamp},
		{"short nonce", "POST", "/api/v1/portal/pickups?x=1", ts, "short", body, sig, now, portalsig.ErrNonce},
		{"bad nonce char", "POST", "/api/v1/portal/pickups?x=1", ts, "abcdefghijklmno!", body, sig, now, portalsig.ErrNonce},
		{"not hex", "POST", "/api/v1/portal/pickups?x=1", ts, nonce, body, "zz", now, portalsig.ErrSignature},
		{"missing", "POST", "/api/v1/portal/pickups?x=1", ts, nonce, body, "", now, portalsig.ErrMissing},
	}
	for _, tt := range tests {
		if err := portalsig.Verify(secret, tt.method, tt.path, tt.ts, tt.nn, tt.body, tt.sig, tt.now); err != tt.want {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
	}
	// Skew at exactly the limit is accepted.
	if err := portalsig.Verify(secret, "POST", "/api/v1/portal/pickups?x=1", ts, nonce, body, sig, now.Add(300*time.Second)); err != nil {
		t.Errorf("at 300 s: %v", err)
	}
}

func TestCanonicalEmptyBody(t *testing.T) {
	got := portalsig.Canonical("get", "/api/v1/portal/desks", "1", "n", nil)
	want := "GET\n/api/v1/portal/desks\n1\nn\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got != want {
		t.Errorf("Canonical = %q", got)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("POST", "/p", "1790000000", "abcdefghijklmnop", []byte("{}"), "00")
	f.Fuzz(func(t *testing.T, method, path, ts, nonce string, body []byte, sig string) {
		now := time.Unix(1_790_000_000, 0)
		err := portalsig.Verify([]byte("k"), method, path, ts, nonce, body, sig, now)
		if err == nil && sig != portalsig.Sign([]byte("k"), method, path, ts, nonce, body) {
			t.Fatalf("accepted a signature that is not ours")
		}
	})
}
