// Package archtest checks the layout's import rules (architecture.md): the
// domain imports no driver or framework and the two domains not each other;
// adapters do not import each other; every third-party library has one home.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "hoso"

// imports maps each package directory (relative to the module root) to the
// imports of its non-test files.
func imports(t *testing.T) map[string]map[string]bool {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	out := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if out[rel] == nil {
			out[rel] = map[string]bool{}
		}
		for _, im := range f.Imports {
			out[rel][strings.Trim(im.Path.Value, `"`)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

func TestDomainImportsNoDriverAndNotEachOther(t *testing.T) {
	allowedInternal := map[string]bool{module + "/internal/errs": true, module + "/internal/vntext": true, module + "/internal/h3cell": true, module + "/internal/dong": true}
	for pkg, ims := range imports(t) {
		for _, dom := range []string{"tracking", "dispatch"} {
			if !under(pkg, dom) {
				continue
			}
			for im := range ims {
				switch {
				case !strings.Contains(strings.SplitN(im, "/", 2)[0], ".") && !strings.HasPrefix(im, module+"/"):
					// standard library
				case strings.HasPrefix(im, module+"/"+dom):
				case allowedInternal[im]:
					if im == module+"/internal/h3cell" && dom != "dispatch" {
						t.Errorf("%s imports %s: only dispatch uses the H3 wrapper's types", pkg, im)
					}
				default:
					t.Errorf("%s imports %s: the domain imports only the standard library and small internal leaves", pkg, im)
				}
			}
		}
	}
}

func TestAdaptersDoNotImportEachOther(t *testing.T) {
	// The H3 wrapper's cell types are shared like domain types, and the relay
	// and its notification providers are one adapter (architecture.md).
	adapters := []string{"internal/pg", "internal/web", "internal/outbox"}
	for pkg, ims := range imports(t) {
		for _, a := range adapters {
			if !under(pkg, a) {
				continue
			}
			for _, b := range append(adapters, "internal/notify") {
				if a == b || (a == "internal/outbox" && b == "internal/notify") {
					continue
				}
				if ims[module+"/"+b] {
					t.Errorf("%s imports %s: adapters depend on the domain, not on each other", pkg, b)
				}
			}
		}
	}
}

func TestEachLibraryHasOneHome(t *testing.T) {
	homes := map[string][]string{
		"github.com/gofiber/fiber":     {"internal/web"},
		"github.com/go-pg/pg":          {"internal/pg"},
		"github.com/uber/h3-go":        {"internal/h3cell"},
		"github.com/jung-kurt/gofpdf":  {"labels"},
		"github.com/boombuler/barcode": {"labels"},
		// The transparency log's tree, tiles, proofs and signed notes.
		"golang.org/x/mod/sumdb": {"internal/translog"},
		// Metrics: the server's registry and the relay's own counters.
		"github.com/prometheus/client_golang": {"internal/web", "internal/outbox"},
	}
	for pkg, ims := range imports(t) {
		for im := range ims {
			for lib, allowed := range homes {
				if !strings.HasPrefix(im, lib) {
					continue
				}
				ok := false
				for _, h := range allowed {
					if under(pkg, h) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s imports %s; its home is %v", pkg, im, allowed)
				}
			}
		}
	}
}
