package config

import (
	"regexp"
	"strings"
)

// Citizen is what the citizen's pages say about reaching a person.
type Citizen struct {
	// Hotline is the telephone number pages and messages give a citizen to
	// call (HOSO_HOTLINE; default Vietnam Post's customer-care line).
	Hotline string
}

// DefaultHotline is Vietnam Post's customer-care line.
const DefaultHotline = "1900 54 54 81"

var phoneShape = regexp.MustCompile(`^\+?[0-9][0-9 .]{2,18}[0-9]$`)

func (c *Citizen) load(env func(string) string) (problems []string) {
	c.Hotline = DefaultHotline
	if v := strings.TrimSpace(env("HOSO_HOTLINE")); v != "" {
		if !phoneShape.MatchString(v) {
			return []string{"HOSO_HOTLINE: want a telephone number of digits, spaces or dots (for example 1900 54 54 81), got " + quote(v)}
		}
		c.Hotline = v
	}
	return nil
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return `"` + s + `"`
}
