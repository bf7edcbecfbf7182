package assets_test

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// cssRule is one innermost "selector { declarations }" block.
type cssRule struct {
	selector string
	decls    map[string]string
}

var (
	cssComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	cssBlock   = regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`)
	cssVar     = regexp.MustCompile(`^var\((--[a-z0-9-]+)\)$`)
	cssHex     = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// parseCSS splits a stylesheet into its innermost rules. It is enough for
// our own hand-written file (no nesting beyond @media, no braces in strings).
func parseCSS(src string) []cssRule {
	src = cssComment.ReplaceAllString(src, "")
	var rules []cssRule
	for _, m := range cssBlock.FindAllStringSubmatch(src, -1) {
		r := cssRule{selector: strings.TrimSpace(m[1]), decls: map[string]string{}}
		for _, d := range strings.Split(m[2], ";") {
			k, v, ok := strings.Cut(d, ":")
			if !ok {
				continue
			}
			r.decls[strings.TrimSpace(k)] = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important"))
		}
		rules = append(rules, r)
	}
	return rules
}

// resolve turns "#abcdef" or "var(--x)" into a hex colour, or "" if the
// value is anything else (a gradient, "none", currentColor, a keyword).
func resolve(v string, vars map[string]string) string {
	v = strings.TrimSpace(v)
	if m := cssVar.FindStringSubmatch(v); m != nil {
		v = vars[m[1]]
	}
	if cssHex.MatchString(v) {
		return strings.ToLower(v)
	}
	return ""
}

func luminance(hex string) float64 {
	ch := func(i int) float64 {
		n, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(n) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(0) + 0.7152*ch(1) + 0.0722*ch(2)
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrastFormula(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#ffffff", 1},
		{"#767676", "#ffffff", 4.54},
	}
	for _, tt := range tests {
		if got := contrast(tt.a, tt.b); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestAppCSSContrast checks WCAG AA in app.css: every rule that sets both a
// text colour and a background colour, and the pairs that meet across rules
// (text on a parent's background, borders of controls).
func TestAppCSSContrast(t *testing.T) {
	a := mustNew(t)
	body, _, _, ok := a.Open("css/app.css")
	if !ok {
		t.Fatal("css/app.css not embedded")
	}
	rules := parseCSS(string(body))
	vars := map[string]string{}
	for _, r := range rules {
		if r.selector == ":root" {
			for k, v := range r.decls {
				if strings.HasPrefix(k, "--") {
					vars[k] = v
				}
			}
		}
	}
	if len(vars) < 10 {
		t.Fatalf("found only %d custom properties in :root", len(vars))
	}

	checked := 0
	for _, r := range rules {
		fg := resolve(r.decls["color"], vars)
		bgv, ok := r.decls["background"]
		if !ok {
			bgv = r.decls["background-color"]
		}
		bg := resolve(bgv, vars)
		if fg == "" || bg == "" {
			continue
		}
		checked++
		if c := contrast(fg, bg); c < 4.5 {
			t.Errorf("%s: color %s on %s is %.2f:1, want >= 4.5", r.selector, fg, bg, c)
		}
	}
	if checked < 15 {
		t.Errorf("only %d rules with both colours checked; the parser may be broken", checked)
	}

	// Backgrounds of one rule under the text colour of another.
	bgOf := func(sel string) string {
		for _, r := range rules {
			if r.selector == sel {
				if v := resolve(r.decls["background"], vars); v != "" {
					return v
				}
			}
		}
		t.Fatalf("no background for %q", sel)
		return ""
	}
	colorOf := func(sel string) string {
		for _, r := range rules {
			if r.selector == sel {
				if v := resolve(r.decls["color"], vars); v != "" {
					return v
				}
			}
		}
		t.Fatalf("no color for %q", sel)
		return ""
	}
	v := func(name string) string {
		c := resolve(vars[name], vars)
		if c == "" {
			t.Fatalf("custom property %s is not a hex colour", name)
		}
		return c
	}
	pairs := []struct {
		what   string
		fg, bg string
		min    float64
	}{
		{"text", v("--c-text"), v("--c-bg"), 4.5},
		{"text on subtle", v("--c-text"), v("--c-bg-subtle"), 4.5},
		{"muted", v("--c-text-muted"), v("--c-bg"), 4.5},
		{"muted on subtle (footer, table head)", v("--c-text-muted"), v("--c-bg-subtle"), 4.5},
		{"link", v("--c-link"), v("--c-bg"), 4.5},
		{"visited link", v("--c-link-visited"), v("--c-bg"), 4.5},
		{"error text", v("--c-error"), v("--c-bg"), 4.5},
		{"required mark", v("--c-error"), v("--c-bg"), 4.5},
		{"header text", v("--c-header-text"), v("--c-header-bg"), 4.5},
		{"primary button hover", v("--c-on-primary"), v("--c-primary-hover"), 4.5},
		{"danger button hover", "#ffffff", v("--c-danger-hover"), 4.5},
		{"secondary button hover", v("--c-primary"), bgOf(".btn--secondary:hover"), 4.5},
		{"input border", v("--c-border"), v("--c-bg"), 3},
		{"focus ring inner on white", v("--c-focus-inner"), v("--c-bg"), 3},
		{"focus ring outer on header", v("--c-focus"), v("--c-header-bg"), 3},
		{"current step title", v("--c-primary"), v("--c-bg"), 4.5},
		{"alert info text", v("--c-text"), bgOf(".alert--info"), 4.5},
		{"alert success text", v("--c-text"), bgOf(".alert--success"), 4.5},
		{"alert warning text", v("--c-text"), bgOf(".alert--warning"), 4.5},
		{"alert error text", v("--c-text"), bgOf(".alert--error"), 4.5},
		{"alert info title", colorOf(".alert--info .alert__title"), bgOf(".alert--info"), 4.5},
		{"alert success title", colorOf(".alert--success .alert__title"), bgOf(".alert--success"), 4.5},
		{"alert warning title", colorOf(".alert--warning .alert__title"), bgOf(".alert--warning"), 4.5},
		{"alert error title", colorOf(".alert--error .alert__title"), bgOf(".alert--error"), 4.5},
		{"error summary link", v("--c-error"), v("--c-bg"), 4.5},
		{"table row hover", v("--c-text"), bgOf(".table tbody tr:hover"), 4.5},
	}
	for _, p := range pairs {
		if c := contrast(p.fg, p.bg); c < p.min {
			t.Errorf("%s: %s on %s is %.2f:1, want >= %.1f", p.what, p.fg, p.bg, c, p.min)
		}
	}
}

// TestAppCSSRules checks properties the brief fixes: base size, line height,
// 48px targets, focus outlines, reduced motion, print.
func TestAppCSSRules(t *testing.T) {
	a := mustNew(t)
	body, _, _, _ := a.Open("css/app.css")
	css := string(body)
	for _, want := range []string{
		"font-size: 106.25%", // 17px
		"font-size: 112.5%",  // 18px
		"line-height: 1.6",
		"--target: 3rem",
		":focus-visible",
		".skip-link:focus",
		"@media (prefers-reduced-motion: reduce)",
		"@media print",
		`"Be Vietnam Pro", system-ui`,
	} {
		if !strings.Contains(css, want) {
			t.Errorf("app.css lacks %q", want)
		}
	}
	code := strings.ToLower(cssComment.ReplaceAllString(css, ""))
	for _, bad := range []string{"@import", "http://", "https://", "//fonts.", "cdn"} {
		if strings.Contains(code, bad) {
			t.Errorf("app.css contains %q", bad)
		}
	}
	// Every component class the styleguide shows exists in the CSS.
	sg, _, _, ok := a.Open("css/styleguide.html")
	if !ok {
		t.Fatal("css/styleguide.html not embedded")
	}
	classAttr := regexp.MustCompile(`class="([^"]+)"`)
	for _, m := range classAttr.FindAllStringSubmatch(string(sg), -1) {
		for _, c := range strings.Fields(m[1]) {
			if strings.HasPrefix(c, "sg-") || c == "htmx-indicator" {
				continue // styleguide-only layout classes
			}
			if !regexp.MustCompile(`\.` + regexp.QuoteMeta(c) + `([^a-zA-Z0-9_-]|$)`).MatchString(css) {
				t.Errorf("styleguide uses class %q that app.css does not define", c)
			}
		}
	}
}
