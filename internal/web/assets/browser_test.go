package assets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// e2eResult is the JSON line e2e/run.mjs prints.
type e2eResult struct {
	OK          bool            `json:"ok"`
	Scenario    string          `json:"scenario"`
	Error       string          `json:"error"`
	Screenshots []string        `json:"screenshots"`
	Result      json.RawMessage `json:"result"`
}

// repoRoot walks up from the package directory to the directory with go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// TestBrowserScenarios first runs e2e/scenarios/selftest.mjs (the harness
// detects a bad page), then e2e/scenarios/vendor.mjs (each vendored package
// works from our origin under the CSP, the barcode polyfill with our wasm),
// then renders css/styleguide.html in headless Chromium at
// 360 px and 1280 px (e2e/scenarios/styleguide.mjs): no serious or critical
// axe violation, no request to another origin, no sideways overflow, the
// Vietnamese web font loaded. It needs node, /usr/bin/chromium and
// `npm ci --prefix e2e`; without them it skips, unless E2E_REQUIRED is set.
func TestBrowserScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	root := repoRoot(t)
	missing := func(what string) {
		t.Helper()
		if os.Getenv("E2E_REQUIRED") != "" {
			t.Fatalf("E2E_REQUIRED is set but %s", what)
		}
		t.Skipf("skipping browser test: %s", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(root, "e2e", "node_modules", "playwright-core")); err != nil {
		missing("e2e/node_modules is missing (run npm ci --prefix e2e)")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing(chromium + " is missing")
	}

	tests := []struct {
		scenario       string
		minScreenshots int
	}{
		// The harness must be able to fail: a bad page trips every check.
		{"selftest", 0},
		{"styleguide", 3},
		// Every vendored package works from our origin under the CSP.
		{"vendor", 1},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			res := runScenario(t, root, node, tt.scenario)
			if len(res.Screenshots) < tt.minScreenshots {
				t.Errorf("want at least %d screenshots, got %v", tt.minScreenshots, res.Screenshots)
			}
		})
	}
}

// runScenario runs node e2e/run.mjs <scenario> the way other packages' tests
// should: from the repository root, output into t.TempDir(), result parsed
// from the single JSON line on stdout, stderr shown on failure.
func runScenario(t *testing.T, root, node, scenario string, args ...string) e2eResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	argv := append([]string{"e2e/run.mjs", scenario, "--out", t.TempDir(), "--timeout", "90000"}, args...)
	cmd := exec.CommandContext(ctx, node, argv...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run e2e/run.mjs %s: %v\n%s", scenario, err, stderr.String())
	}
	var res e2eResult
	if jerr := json.Unmarshal(bytes.TrimSpace(out), &res); jerr != nil {
		t.Fatalf("parse run.mjs output %q: %v\nstderr:\n%s", out, jerr, stderr.String())
	}
	if !res.OK || err != nil {
		t.Fatalf("scenario %s failed (exit %v): %s\nstderr:\n%s", scenario, err, res.Error, stderr.String())
	}
	return res
}
