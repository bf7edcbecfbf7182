package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestMain runs the package's tests, then searches every test server's log
// (allLogs) for personal data: a citizen ID number (12 digits standing
// alone) or a phone number (0 and 9 digits, or +84 and 9 digits, standing
// alone). One hit fails the run.
func TestMain(m *testing.M) {
	code := m.Run()
	allLogs.mu.Lock()
	logs := make([]string, len(allLogs.logs))
	for i, l := range allLogs.logs {
		logs[i] = l.String()
	}
	allLogs.mu.Unlock()
	hits, lines := 0, 0
	for i, l := range logs {
		for _, line := range strings.Split(l, "\n") {
			lines++
			for _, h := range personalData(line) {
				hits++
				if hits <= 10 {
					fmt.Fprintf(os.Stderr, "personal data in the log of test server %d: %s in %.400s\n", i+1, h, line)
				}
			}
		}
	}
	if hits > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d personal-data hits in %d log lines of %d test servers\n", hits, lines, len(logs))
		if code == 0 {
			code = 1
		}
	} else if testing.Verbose() {
		fmt.Printf("log scan: %d lines of %d test servers, no CCCD and no phone number\n", lines, len(logs))
	}
	os.Exit(code)
}

var uuidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isAlnum(b byte) bool { return isDigit(b) || (b|0x20 >= 'a' && b|0x20 <= 'z') }

// personalData returns the CCCD-like and phone-like numbers standing alone
// in a log line. UUIDs (request ids) are removed first; digit runs inside
// words (tracking numbers such as EA123456785VN, hex hashes), decimal
// fractions and bare JSON numbers (durations in nanoseconds) are not
// personal data.
func personalData(line string) []string {
	line = uuidPattern.ReplaceAllString(line, "-")
	var out []string
	for i := 0; i < len(line); {
		if !isDigit(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && isDigit(line[j]) {
			j++
		}
		run := line[i:j]
		var before, after byte = ' ', ' '
		if i > 0 {
			before = line[i-1]
		}
		if j < len(line) {
			after = line[j]
		}
		alone := !isAlnum(before) && !isAlnum(after)
		fraction := before == '.' && i >= 2 && isDigit(line[i-2])
		bareNumber := before == ':'
		switch {
		case !alone || fraction:
		case len(run) == 12 && !bareNumber:
			out = append(out, "CCCD-like "+run)
		case len(run) == 10 && run[0] == '0':
			out = append(out, "phone-like "+run)
		case len(run) == 11 && strings.HasPrefix(run, "84") && before == '+':
			out = append(out, "phone-like +"+run)
		}
		i = j
	}
	return out
}

func TestPersonalDataPattern(t *testing.T) {
	for _, tc := range []struct {
		line string
		hits int
	}{
		{`{"msg":"request","path":"/tra-cuu/EA123456785VN","status":200}`, 0},
		{`{"request_id":"3f2a1b4c-1234-4321-8abc-123456789012"}`, 0},
		{`{"sha":"ab12345678901234cd"}`, 0},
		{`{"time":"2026-11-24T08:00:00.123456789+07:00","lat":21.123456789012}`, 0},
		{`{"took":123456789012}`, 0},
		{`{"phone":"0912345678"}`, 1},
		{`gọi 0912345678 ngay`, 1},
		{`{"id_number":"019090001234"}`, 1},
		{`số +84912345678`, 1},
		{`{"masked":"09xx xxx 678","last3":"234"}`, 0},
		{`{"a":"019090001234","b":"0912345678"}`, 2},
	} {
		if got := personalData(tc.line); len(got) != tc.hits {
			t.Errorf("%s: %v, want %d hits", tc.line, got, tc.hits)
		}
	}
}
