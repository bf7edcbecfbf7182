package assets_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"
	"regexp"
	"strings"
	"testing"

	"hoso/internal/web/assets"
)

// manifest mirrors static/vendor/manifest.json written by
// scripts/vendor-npm.sh.
type manifest struct {
	Packages []struct {
		Package      string         `json:"package"`
		Version      string         `json:"version"`
		Licence      string         `json:"licence"`
		Integrity    string         `json:"integrity"`
		Dir          string         `json:"dir"`
		Files        []manifestFile `json:"files"`
		LicenceFiles []manifestFile `json:"licenceFiles"`
		Docs         []manifestFile `json:"docs"`
	} `json:"packages"`
}

type manifestFile struct {
	File   string `json:"file"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
}

func mustNew(t *testing.T) *assets.Assets {
	t.Helper()
	a, err := assets.New()
	if err != nil {
		t.Fatalf("assets.New: %v", err)
	}
	return a
}

func readManifest(t *testing.T, a *assets.Assets) manifest {
	t.Helper()
	body, ct, _, ok := a.Open("/static/vendor/manifest.json")
	if !ok {
		t.Fatal("vendor/manifest.json is not embedded")
	}
	if ct != "application/json" {
		t.Errorf("manifest content type %q", ct)
	}
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("parse manifest: %v", err)
	}
	return m
}

// TestVendorManifest checks that every file the manifest lists is embedded
// with exactly the recorded size and sha256, and that every package has a
// licence file.
func TestVendorManifest(t *testing.T) {
	a := mustNew(t)
	m := readManifest(t, a)

	// The pins this package was built for; a version change must be deliberate.
	want := map[string]string{
		"htmx.org":                   "2.0.11",
		"leaflet":                    "1.9.4",
		"h3-js":                      "4.5.0",
		"signature_pad":              "5.1.4",
		"idb":                        "8.0.4",
		"htm":                        "3.1.1",
		"barcode-detector":           "3.2.2",
		"zxing-wasm":                 "3.1.3",
		"@fontsource/be-vietnam-pro": "5.3.0",
	}
	seen := map[string]bool{}
	listed := map[string]bool{"vendor/manifest.json": true}
	check := func(pkg string, f manifestFile) {
		t.Helper()
		listed[f.File] = true
		body, _, _, ok := a.Open("/static/" + f.File)
		if !ok {
			t.Errorf("%s: %s listed in manifest but not embedded", pkg, f.File)
			return
		}
		sum := sha256.Sum256(body)
		if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
			t.Errorf("%s: %s sha256 %s, manifest says %s", pkg, f.File, got, f.SHA256)
		}
		if len(body) != f.Bytes {
			t.Errorf("%s: %s is %d bytes, manifest says %d", pkg, f.File, len(body), f.Bytes)
		}
		if s, ok := a.Sum(f.File); !ok || s != f.SHA256 {
			t.Errorf("%s: Sum(%s) = %q, %v", pkg, f.File, s, ok)
		}
	}
	for _, p := range m.Packages {
		seen[p.Package] = true
		if v, ok := want[p.Package]; !ok {
			t.Errorf("unexpected package %q in manifest", p.Package)
		} else if v != p.Version {
			t.Errorf("%s: version %s, want %s", p.Package, p.Version, v)
		}
		if p.Licence == "" || !strings.HasPrefix(p.Integrity, "sha512-") {
			t.Errorf("%s: missing licence or tarball integrity", p.Package)
		}
		if len(p.Files) == 0 {
			t.Errorf("%s: no served files", p.Package)
		}
		if len(p.LicenceFiles) == 0 {
			t.Errorf("%s: no licence file", p.Package)
		}
		hasLicence := false
		for _, f := range p.LicenceFiles {
			check(p.Package, f)
			if b := path.Base(f.File); strings.HasPrefix(b, "LICENSE") || strings.HasPrefix(b, "LICENCE") {
				hasLicence = true
			}
		}
		if !hasLicence {
			t.Errorf("%s: licence files %v include no LICENSE", p.Package, p.LicenceFiles)
		}
		for _, f := range p.Files {
			check(p.Package, f)
			if !strings.HasPrefix(f.File, p.Dir+"/") {
				t.Errorf("%s: %s is outside %s", p.Package, f.File, p.Dir)
			}
		}
		for _, f := range p.Docs {
			check(p.Package, f)
		}
	}
	for pkg := range want {
		if !seen[pkg] {
			t.Errorf("package %s missing from manifest", pkg)
		}
	}
	// Nothing under vendor/ that the manifest does not account for.
	for _, name := range a.Names() {
		if strings.HasPrefix(name, "vendor/") && !listed[name] {
			t.Errorf("%s is vendored but not in the manifest", name)
		}
	}
}

// TestVendorDirsHaveLicence checks the tree itself: every directory under
// vendor/ holds a LICENSE file.
func TestVendorDirsHaveLicence(t *testing.T) {
	a := mustNew(t)
	dirs := map[string]bool{}
	lic := map[string]bool{}
	for _, name := range a.Names() {
		if !strings.HasPrefix(name, "vendor/") || path.Dir(name) == "vendor" {
			continue
		}
		d := path.Dir(name)
		dirs[d] = true
		if strings.HasPrefix(path.Base(name), "LICENSE") {
			lic[d] = true
		}
	}
	if len(dirs) < 9 {
		t.Errorf("only %d vendor directories", len(dirs))
	}
	for d := range dirs {
		if !lic[d] {
			t.Errorf("%s has no LICENSE file", d)
		}
	}
}

// TestZXingWasmMatchesPolyfill checks that the wasm we serve is the one the
// barcode-detector polyfill was built against (it embeds the sha256).
func TestZXingWasmMatchesPolyfill(t *testing.T) {
	a := mustNew(t)
	sum, ok := a.Sum("vendor/zxing-wasm/zxing_reader.wasm")
	if !ok {
		t.Fatal("zxing_reader.wasm not embedded")
	}
	js, _, _, ok := a.Open("/static/vendor/barcode-detector/polyfill.js")
	if !ok {
		t.Fatal("polyfill.js not embedded")
	}
	if !bytes.Contains(js, []byte(sum)) {
		t.Errorf("polyfill.js does not mention the wasm sha256 %s", sum)
	}
	if _, ct, _, _ := a.Open("/static/vendor/zxing-wasm/zxing_reader.wasm"); ct != "application/wasm" {
		t.Errorf("wasm content type %q", ct)
	}
}

// TestEmbeddedURLs checks the real tree: the main entry points have hashed
// URLs and Open marks exactly those as immutable.
func TestEmbeddedURLs(t *testing.T) {
	a := mustNew(t)
	re := regexp.MustCompile(`^/static/[a-z0-9_./-]+\?v=[0-9a-f]{10}$`)
	for _, name := range []string{
		"css/app.css", "fonts/fonts.css",
		"vendor/htmx.org/htmx.min.js", "vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css",
		"vendor/h3-js/h3-js.umd.js", "vendor/signature_pad/signature_pad.umd.min.js",
		"vendor/idb/umd.js", "vendor/htm/standalone.module.js",
		"vendor/barcode-detector/polyfill.js", "vendor/zxing-wasm/zxing_reader.wasm",
	} {
		u, err := a.URL(name)
		if err != nil {
			t.Errorf("URL(%q): %v", name, err)
			continue
		}
		if !re.MatchString(u) {
			t.Errorf("URL(%q) = %q", name, u)
		}
		if a.Href(name) != u {
			t.Errorf("Href(%q) != URL", name)
		}
		if _, _, imm, ok := a.Open(u); !ok || !imm {
			t.Errorf("Open(%q) ok=%v immutable=%v", u, ok, imm)
		}
	}
}

// TestNoRemoteURLsInOwnCSS guards the rule that pages load nothing from
// another host: our own stylesheets must not import or reference remote URLs.
func TestNoRemoteURLsInOwnCSS(t *testing.T) {
	a := mustNew(t)
	remote := regexp.MustCompile(`(?i)(@import|url\()\s*["']?\s*(https?:)?//`)
	for _, name := range a.Names() {
		if strings.HasPrefix(name, "vendor/") || !strings.HasSuffix(name, ".css") {
			continue
		}
		body, _, _, _ := a.Open(name)
		if loc := remote.FindIndex(body); loc != nil {
			t.Errorf("%s references a remote URL: %q", name, body[loc[0]:min(loc[1]+40, len(body))])
		}
	}
}

// TestFontsCSSPointsAtVendoredFiles checks that every url() in fonts.css
// resolves to an embedded woff2.
func TestFontsCSSPointsAtVendoredFiles(t *testing.T) {
	a := mustNew(t)
	body, _, _, ok := a.Open("fonts/fonts.css")
	if !ok {
		t.Fatal("fonts/fonts.css not embedded")
	}
	urls := regexp.MustCompile(`url\("([^"]+)"\)`).FindAllSubmatch(body, -1)
	if len(urls) != 9 {
		t.Errorf("fonts.css has %d url()s, want 9 (3 subsets x 3 weights)", len(urls))
	}
	for _, m := range urls {
		name := path.Join("fonts", string(m[1]))
		if _, ok := a.Sum(name); !ok {
			t.Errorf("fonts.css refers to %s, which is not embedded", name)
		}
	}
	if n := bytes.Count(body, []byte("font-display: optional;")); n != 9 {
		t.Errorf("font-display: optional appears %d times, want 9", n)
	}
}
