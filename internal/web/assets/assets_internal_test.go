package assets

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func mustFromFS(t *testing.T, fsys fstest.MapFS) *Assets {
	t.Helper()
	a, err := newFromFS(fsys)
	if err != nil {
		t.Fatalf("newFromFS: %v", err)
	}
	return a
}

func TestURLStableAndChangesWithContent(t *testing.T) {
	v1 := fstest.MapFS{
		"css/app.css":   {Data: []byte("body{color:#111}")},
		"js/courier.js": {Data: []byte("console.log(1)")},
	}
	a1 := mustFromFS(t, v1)
	again := mustFromFS(t, v1)

	u1, err := a1.URL("css/app.css")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u1, "/static/css/app.css?v=") || len(u1) != len("/static/css/app.css?v=")+hashLen {
		t.Fatalf("URL = %q, want /static/css/app.css?v=<%d hex>", u1, hashLen)
	}
	if u, _ := again.URL("css/app.css"); u != u1 {
		t.Errorf("same content, different URL: %q vs %q", u, u1)
	}
	if u, _ := a1.URL("css/app.css"); u != u1 {
		t.Errorf("URL not stable between calls: %q vs %q", u, u1)
	}
	if again.Version() != a1.Version() {
		t.Errorf("Version differs for identical trees")
	}

	v2 := fstest.MapFS{
		"css/app.css":   {Data: []byte("body{color:#000}")},
		"js/courier.js": {Data: []byte("console.log(1)")},
	}
	a2 := mustFromFS(t, v2)
	u2, err := a2.URL("css/app.css")
	if err != nil {
		t.Fatal(err)
	}
	if u2 == u1 {
		t.Errorf("content changed but URL stayed %q", u2)
	}
	// The untouched file keeps its URL.
	j1, _ := a1.URL("js/courier.js")
	j2, _ := a2.URL("js/courier.js")
	if j1 != j2 {
		t.Errorf("unchanged file changed URL: %q vs %q", j1, j2)
	}
	if a2.Version() == a1.Version() {
		t.Errorf("Version did not change when a file changed")
	}
}

func TestURLNameForms(t *testing.T) {
	a := mustFromFS(t, fstest.MapFS{"css/app.css": {Data: []byte("x")}})
	want, err := a.URL("css/app.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/static/css/app.css", "static/css/app.css", "/css/app.css"} {
		if got, err := a.URL(name); err != nil || got != want {
			t.Errorf("URL(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
}

func TestUnknownNames(t *testing.T) {
	a := mustFromFS(t, fstest.MapFS{
		"css/app.css":  {Data: []byte("x")},
		"css/sub/a.js": {Data: []byte("y")},
	})
	for _, name := range []string{
		"", "/", "css", "css/", "css/sub", "css/missing.css", "../assets.go",
		"css/../css/app.css", "css//app.css", "/static/", "CSS/APP.CSS",
	} {
		u, err := a.URL(name)
		if err == nil || !errors.Is(err, ErrNotFound) {
			t.Errorf("URL(%q) = %q, %v; want ErrNotFound", name, u, err)
		}
		if h := a.Href(name); h != "" {
			t.Errorf("Href(%q) = %q, want empty", name, h)
		}
		if _, err := a.Integrity(name); !errors.Is(err, ErrNotFound) {
			t.Errorf("Integrity(%q) err = %v, want ErrNotFound", name, err)
		}
		if _, ok := a.Sum(name); ok {
			t.Errorf("Sum(%q) ok for unknown name", name)
		}
		if _, _, _, ok := a.Open("/static/" + name); ok && name != "css/app.css" {
			t.Errorf("Open(/static/%s) ok for unknown name", name)
		}
	}
}

func TestOpen(t *testing.T) {
	a := mustFromFS(t, fstest.MapFS{
		"css/app.css":                      {Data: []byte("body{}")},
		"vendor/zxing-wasm/x.wasm":         {Data: []byte("\x00asm")},
		"vendor/htm/LICENSE.preact":        {Data: []byte("MIT")},
		"fonts/a.woff2":                    {Data: []byte("wOF2")},
		"app/manifest.webmanifest":         {Data: []byte("{}")},
		"img/logo.svg":                     {Data: []byte("<svg/>")},
		"vendor/htm/standalone.module.mjs": {Data: []byte("export{}")},
	})
	u, err := a.URL("css/app.css")
	if err != nil {
		t.Fatal(err)
	}
	old := "/static/css/app.css?v=0000000000"
	tests := []struct {
		name, path, ct string
		immutable, ok  bool
	}{
		{"hashed", u, "text/css; charset=utf-8", true, true},
		{"no hash", "/static/css/app.css", "text/css; charset=utf-8", false, true},
		{"old hash", old, "text/css; charset=utf-8", false, true},
		{"prefix stripped", strings.TrimPrefix(u, "/static/"), "text/css; charset=utf-8", true, true},
		{"extra params", u + "&x=1", "text/css; charset=utf-8", true, true},
		{"bad query", "/static/css/app.css?v=%zz", "text/css; charset=utf-8", false, true},
		{"wasm", "/static/vendor/zxing-wasm/x.wasm", "application/wasm", false, true},
		{"licence", "/static/vendor/htm/LICENSE.preact", "text/plain; charset=utf-8", false, true},
		{"woff2", "/static/fonts/a.woff2", "font/woff2", false, true},
		{"webmanifest", "/static/app/manifest.webmanifest", "application/manifest+json", false, true},
		{"svg", "/static/img/logo.svg", "image/svg+xml", false, true},
		{"mjs", "/static/vendor/htm/standalone.module.mjs", "text/javascript; charset=utf-8", false, true},
		{"missing", "/static/css/none.css?v=1", "", false, false},
		{"directory", "/static/css", "", false, false},
		{"traversal", "/static/../assets.go", "", false, false},
		{"empty", "", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct, imm, ok := a.Open(tt.path)
			if ok != tt.ok || ct != tt.ct || imm != tt.immutable {
				t.Fatalf("Open(%q) = ct %q immutable %v ok %v; want %q %v %v",
					tt.path, ct, imm, ok, tt.ct, tt.immutable, tt.ok)
			}
			if ok && len(body) == 0 {
				t.Errorf("Open(%q) returned an empty body", tt.path)
			}
			if !ok && body != nil {
				t.Errorf("Open(%q) returned a body for a missing file", tt.path)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	tests := map[string]string{
		"a.js":                       "text/javascript; charset=utf-8",
		"a.mjs":                      "text/javascript; charset=utf-8",
		"a.css":                      "text/css; charset=utf-8",
		"a.woff2":                    "font/woff2",
		"a.wasm":                     "application/wasm",
		"a.json":                     "application/json",
		"a.svg":                      "image/svg+xml",
		"a.png":                      "image/png",
		"a.PNG":                      "image/png",
		"a.webmanifest":              "application/manifest+json",
		"vendor/x/LICENSE":           "text/plain; charset=utf-8",
		"vendor/x/NOTICE":            "text/plain; charset=utf-8",
		"vendor/x/LICENSE.zxing-cpp": "text/plain; charset=utf-8",
		"a.bin":                      "application/octet-stream",
		"Makefile":                   "application/octet-stream",
	}
	for name, want := range tests {
		if got := ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestSumAndIntegrity(t *testing.T) {
	a := mustFromFS(t, fstest.MapFS{"a.txt": {Data: []byte("abc")}})
	// sha256("abc")
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if sum, ok := a.Sum("a.txt"); !ok || sum != want {
		t.Errorf("Sum = %q, %v; want %q", sum, ok, want)
	}
	if u, _ := a.URL("a.txt"); u != "/static/a.txt?v="+want[:hashLen] {
		t.Errorf("URL = %q", u)
	}
	if got, err := a.Integrity("a.txt"); err != nil || got != "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=" {
		t.Errorf("Integrity = %q, %v", got, err)
	}
}

// FuzzOpen feeds request paths (outside input) to Open: it must never panic,
// and a hit must be an embedded file whose bytes match its URL's hash.
func FuzzOpen(f *testing.F) {
	a, err := newFromFS(fstest.MapFS{
		"css/app.css":   {Data: []byte("body{}")},
		"vendor/x/a.js": {Data: []byte("1")},
	})
	if err != nil {
		f.Fatal(err)
	}
	u, err := a.URL("css/app.css")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{u, "/static/css/app.css", "/static/../x", "/static/vendor/x/a.js?v=%", "?v=", "/static//", "css/app.css?v=" + u[len(u)-hashLen:] + "&v=1", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		body, ct, imm, ok := a.Open(p)
		if !ok {
			if body != nil || ct != "" || imm {
				t.Fatalf("Open(%q) miss returned data", p)
			}
			return
		}
		if ct == "" || body == nil {
			t.Fatalf("Open(%q) hit without body or type", p)
		}
		if imm {
			path, _, _ := strings.Cut(p, "?")
			want, err := a.URL(path)
			if err != nil || !strings.Contains(p, want[strings.Index(want, "?v="):]) {
				t.Fatalf("Open(%q) immutable but URL is %q (%v)", p, want, err)
			}
		}
	})
}
