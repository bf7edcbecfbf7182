package assets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"testing"
	"time"

	"hoso/internal/testenv"
)

// e2eResult is the JSON line e2e/run.mjs prints.
type e2eResult struct {
	OK          bool            `json:"ok"`
	Scenario    string          `json:"scenario"`
	Error       string          `json:"error"`
	Screenshots []string        `json:"screenshots"`
	Result      json.RawMessage `json:"result"`
}

// TestBrowserScenarios first runs e2e/scenarios/selftest.mjs (the harness
// detects a bad page), then e2e/scenarios/vendor.mjs (each vendored package
// works from our origin under the CSP, the barcode polyfill with our wasm),
// then renders css/styleguide.html in headless Chromium at
// 360 px and 1280 px (e2e/scenarios/styleguide.mjs): no serious or critical
// axe violation, no request to another origin, no sideways overflow, the
// Vietnamese web font loaded. It needs node, /usr/bin/chromium and
// `npm ci --prefix e2e` (make test-deps); without them it fails.
func TestBrowserScenarios(t *testing.T) {
	root, node := testenv.Browser(t)

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
