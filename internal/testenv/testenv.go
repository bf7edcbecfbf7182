// Package testenv is what tests need of the machine — external programs
// (PDF tools, psql, python3, node, Chromium, nginx) and the browser test
// packages — with one rule for when something is missing: the test fails
// and says the command that installs it. `make test` installs everything
// first (scripts/test-deps.sh), so a missing tool means a broken machine,
// never a reason to pass. Only `go test -short` leaves the browser out, by
// request.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// debian names the Debian package of each program the tests run.
var debian = map[string]string{
	"qpdf":       "qpdf",
	"pdftotext":  "poppler-utils",
	"pdftoppm":   "poppler-utils",
	"pdffonts":   "poppler-utils",
	"pdfinfo":    "poppler-utils",
	"zbarimg":    "zbar-tools",
	"psql":       "postgresql-client",
	"pg_dump":    "postgresql-client",
	"pg_restore": "postgresql-client",
	"python3":    "python3",
	"node":       "nodejs",
	"nginx":      "nginx-light",
	"chromium":   "chromium",
	"pgbouncer":  "pgbouncer",
}

// Install is the command that installs the Debian package of a program.
func Install(name string) string {
	pkg, ok := debian[name]
	if !ok {
		pkg = name
	}
	return "make test-deps (or: sudo apt-get install -y " + pkg + ")"
}

// Tool returns the path of the program name, failing the test when it is
// not installed.
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		tb.Fatalf("%s is needed by this test and is not installed: run %s", name, Install(name))
	}
	return path
}

// Tools is Tool for several programs.
func Tools(tb testing.TB, names ...string) {
	tb.Helper()
	for _, n := range names {
		Tool(tb, n)
	}
}

// RepoRoot is the directory holding go.mod, found from the test's working
// directory.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("testenv: no go.mod above the test")
		}
		dir = parent
	}
}

// Chromium is the browser the e2e scenarios drive: $CHROMIUM, or Debian's.
func Chromium() string {
	if c := os.Getenv("CHROMIUM"); c != "" {
		return c
	}
	return "/usr/bin/chromium"
}

// Browser makes sure a browser test can run: node, the e2e packages
// (playwright-core, axe-core) and Chromium. It returns the repository root
// and node's path. With -short the test is skipped (the caller asked for
// no browser); otherwise anything missing fails the test.
func Browser(tb testing.TB) (root, node string) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("browser test left out with -short")
	}
	root = RepoRoot(tb)
	node = Tool(tb, "node")
	if _, err := os.Stat(filepath.Join(root, "e2e", "node_modules", "playwright-core")); err != nil {
		tb.Fatalf("the browser test packages are not installed: run make test-deps (or: npm ci --prefix e2e)")
	}
	if _, err := os.Stat(Chromium()); err != nil {
		tb.Fatalf("Chromium is not installed at %s: run %s", Chromium(), Install("chromium"))
	}
	return root, node
}
