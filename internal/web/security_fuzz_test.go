package web

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// browserHost is where a browser goes for a Location: it drops tabs and
// newlines and reads a backslash as a slash.
func browserHost(loc string) string {
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(loc)
	b, _ := url.Parse("https://hoso.example/nhan-vien")
	u, err := b.Parse(loc)
	if err != nil {
		return "unparsable"
	}
	return u.Host
}

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/nhan-vien/canh-bao?x=1#a", "/nhan-vien/canh-bao?x=1#a"},
		{"/tra-cuu/EA123456785VN", "/tra-cuu/EA123456785VN"},
		{"/\t/evil.example", "/nhan-vien"},
		{"/\n/evil.example", "/nhan-vien"},
		{"/\\evil.example", "/nhan-vien"},
		{"//evil.example", "/nhan-vien"},
		{"https://evil.example/", "/nhan-vien"},
		{"javascript:alert(1)", "/nhan-vien"},
		{"", "/nhan-vien"},
		{"/ /evil.example", "/nhan-vien"},
		{"/\x00/evil.example", "/nhan-vien"},
		{"/%2F%2Fevil.example", "/nhan-vien"}, // decodes to //: refused too
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzSafeNext: whatever comes in, a browser following the result stays on
// this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/nhan-vien", "/\t/evil.example", "/\\/evil", "//x", "/a?b=//c", "/%09/x", "/\u3000/x", "http:/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := safeNext(in)
		if out != "/nhan-vien" && out != in {
			t.Fatalf("safeNext(%q) = %q: neither the input nor home", in, out)
		}
		if h := browserHost(out); h != "hoso.example" {
			t.Fatalf("safeNext(%q) = %q leads a browser to %q", in, out, h)
		}
	})
}

func mustProxies(t testing.TB, s ...string) trustedProxies {
	p, err := parseTrustedProxies(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestForwardedClient(t *testing.T) {
	p := mustProxies(t, "10.0.0.5", "192.168.0.0/16", "::1")
	peer := netip.MustParseAddr("10.0.0.5")
	for _, tc := range []struct {
		headers []string
		want    string
		ok      bool
	}{
		{nil, "10.0.0.5", false},
		{[]string{"203.0.113.7"}, "203.0.113.7", true},
		{[]string{"1.2.3.4, 203.0.113.7"}, "203.0.113.7", true},     // the client wrote 1.2.3.4
		{[]string{"203.0.113.7, 192.168.1.1"}, "203.0.113.7", true}, // through a second trusted proxy
		{[]string{"1.2.3.4", "203.0.113.7"}, "203.0.113.7", true},   // two headers are one list
		{[]string{"garbage, 203.0.113.7"}, "203.0.113.7", true},     // left of the client: ignored
		{[]string{"203.0.113.7, garbage"}, "10.0.0.5", false},       // the proxy's own entry unreadable
		{[]string{"192.168.1.9, 192.168.1.1"}, "192.168.1.9", true}, // all trusted: the left-most
		{[]string{"[2001:db8::1]:443, 203.0.113.7:5000"}, "203.0.113.7", true},
		{[]string{"::ffff:203.0.113.7"}, "203.0.113.7", true},
	} {
		var hs [][]byte
		for _, h := range tc.headers {
			hs = append(hs, []byte(h))
		}
		got, ok := p.forwardedClient(peer, hs)
		if got.String() != tc.want || ok != tc.ok {
			t.Errorf("%q: %s %v, want %s %v", tc.headers, got, ok, tc.want, tc.ok)
		}
	}
	if _, err := parseTrustedProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("a prefix of 33 bits was accepted")
	}
	if _, err := parseTrustedProxies([]string{"proxy.example"}); err == nil {
		t.Error("a host name was accepted")
	}
}

// FuzzForwardedClient: whatever the client writes in X-Forwarded-For, the
// address found is the last untrusted entry the proxy appended, or the
// peer; never an entry left of an untrusted one.
func FuzzForwardedClient(f *testing.F) {
	f.Add("1.2.3.4, 203.0.113.7")
	f.Add("203.0.113.7, 192.168.1.1")
	f.Add(",,, ,")
	f.Add("[::1]:80")
	p := mustProxies(f, "10.0.0.5", "192.168.0.0/16")
	peer := netip.MustParseAddr("10.0.0.5")
	f.Fuzz(func(t *testing.T, header string) {
		// The proxy appends the real client.
		real := netip.MustParseAddr("198.51.100.20")
		got, ok := p.forwardedClient(peer, [][]byte{[]byte(header + ", " + real.String())})
		if !ok || got != real {
			t.Fatalf("header %q then the real client: %s %v", header, got, ok)
		}
		// Through a second trusted proxy, which appends the first.
		got, ok = p.forwardedClient(peer, [][]byte{[]byte(header + ", " + real.String() + ", 192.168.7.7")})
		if !ok || got != real {
			t.Fatalf("header %q, the real client, a trusted hop: %s %v", header, got, ok)
		}
	})
}

func TestPowLeadingZeros(t *testing.T) {
	// SHA-256("abc:0") starts with 0x?? — count against a direct loop.
	for _, nonce := range []string{"0", "1", "zz", "abcdef"} {
		n := powLeadingZeros("challenge", nonce)
		if n < 0 || n > 256 {
			t.Fatalf("%d zero bits", n)
		}
	}
	found := 0
	for i := 0; i < 5000 && found == 0; i++ {
		if powLeadingZeros("x", string(rune('a'+i%26))+strings.Repeat("b", i/26)) >= 8 {
			found++
		}
	}
	if found == 0 {
		t.Error("no nonce with 8 zero bits in 5000 tries: the count is wrong")
	}
}
