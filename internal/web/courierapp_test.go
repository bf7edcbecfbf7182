package web

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"hoso/internal/web/assets"
)

// TestBuildCourierApp checks the generated parts of the courier app from
// the embedded files alone: a shell with no inline script or style, every
// precached URL an embedded file under its current hash, and a manifest an
// Android phone accepts for installing.
func TestBuildCourierApp(t *testing.T) {
	a, err := assets.New()
	if err != nil {
		t.Fatal(err)
	}
	ca, err := buildCourierApp(a)
	if err != nil {
		t.Fatal(err)
	}
	shell := string(ca.shell)
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script(\s+type="module")?\s*>`), // a script without src
		regexp.MustCompile(`\sstyle=`), regexp.MustCompile(`<style`), regexp.MustCompile(`\son[a-z]+=`),
		regexp.MustCompile(`https?://`),
	} {
		if bad.MatchString(shell) {
			t.Errorf("shell matches %s", bad)
		}
	}
	for _, src := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(shell, -1) {
		u := src[1]
		if strings.HasPrefix(u, "/buu-ta/") {
			continue
		}
		if _, _, immutable, ok := a.Open(u); !ok || !immutable {
			t.Errorf("shell refers to %s (found %v, current hash %v)", u, ok, immutable)
		}
	}

	sw := string(ca.sw)
	m := regexp.MustCompile(`(?s)const PRECACHE = (\[.*?\]);`).FindStringSubmatch(sw)
	if m == nil || !strings.Contains(sw, "const CACHE = \""+ca.cache+"\";") || !strings.Contains(sw, `const SCOPE = "/buu-ta/";`) {
		t.Fatalf("worker header:\n%.400s", sw)
	}
	var urls []string
	if err := json.Unmarshal([]byte(m[1]), &urls); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, u := range urls {
		if seen[u] {
			t.Errorf("precached twice: %s", u)
		}
		seen[u] = true
		if strings.HasPrefix(u, "/buu-ta/") {
			continue
		}
		if _, _, immutable, ok := a.Open(u); !ok || !immutable {
			t.Errorf("precache URL %s (found %v, current hash %v)", u, ok, immutable)
		}
	}
	for _, name := range append([]string{"courier/app.js", "courier/store.js", "courier/sync.js", "courier/app.css"}, courierPrecache...) {
		u, _ := a.URL(name)
		if !seen[u] {
			t.Errorf("precache lacks %s", name)
		}
	}
	if seen[a.Href(courierSWBody)] {
		t.Error("the worker precaches its own body")
	}

	var man struct {
		Name      string `json:"name"`
		ShortName string `json:"short_name"`
		StartURL  string `json:"start_url"`
		Scope     string `json:"scope"`
		Display   string `json:"display"`
		Icons     []struct {
			Src, Sizes, Type, Purpose string
		} `json:"icons"`
	}
	if err := json.Unmarshal(ca.manifest, &man); err != nil {
		t.Fatal(err)
	}
	if man.StartURL != "/buu-ta/" || man.Scope != "/buu-ta/" || man.Display != "standalone" || man.ShortName != "Bưu tá" || len(man.Icons) != 3 {
		t.Errorf("manifest %+v", man)
	}
	for _, ic := range man.Icons {
		if _, ct, _, ok := a.Open(ic.Src); !ok || ct != "image/png" {
			t.Errorf("icon %s", ic.Src)
		}
	}

	// The cache name follows the static files: same files, same name.
	again, err := buildCourierApp(a)
	if err != nil || again.cache != ca.cache || string(again.sw) != sw {
		t.Error("building twice gives a different worker")
	}
}
