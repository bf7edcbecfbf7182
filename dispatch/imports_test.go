package dispatch_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports: the dispatch domain imports the standard library, its own
// planner and travel model, the H3 wrapper's types and the error kinds;
// never a driver, a framework or the tracking domain.
func TestImports(t *testing.T) {
	allowed := map[string]bool{
		"hoso/dispatch/vrptw": true, "hoso/dispatch/travel": true,
		"hoso/internal/h3cell": true, "hoso/internal/errs": true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			std := !strings.Contains(strings.Split(p, "/")[0], ".") && !strings.HasPrefix(p, "hoso/")
			if !std && !allowed[p] {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
