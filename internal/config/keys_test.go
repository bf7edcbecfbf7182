package config

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func keyEnv(extra map[string]string) func(string) string {
	base := map[string]string{
		"HOSO_DATA_KEY":    strings.Repeat("11", 32),
		"HOSO_HASH_KEY":    strings.Repeat("22", 32),
		"HOSO_SESSION_KEY": strings.Repeat("33", 32),
		"HOSO_RECEIPT_KEY": strings.Repeat("44", 32),
		"HOSO_LOG_KEY":     strings.Repeat("55", 32),
	}
	return func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		return base[k]
	}
}

func TestDataKeyPrevious(t *testing.T) {
	prev := bytes.Repeat([]byte{0x55}, 32)
	for _, tc := range []struct {
		name    string
		value   string
		want    []byte
		problem string // part of the error; "" means accepted
	}{
		{"unset", "", nil, ""},
		{"blank", "   ", nil, ""},
		{"hex", hex.EncodeToString(prev), prev, ""},
		{"base64", base64.StdEncoding.EncodeToString(prev), prev, ""},
		{"equal to the data key", strings.Repeat("11", 32), nil, "equals HOSO_DATA_KEY"},
		{"short", strings.Repeat("55", 16), nil, "HOSO_DATA_KEY_PREVIOUS: hex key is 16 bytes"},
		{"garbage", "not a key!", nil, "HOSO_DATA_KEY_PREVIOUS: want 32 bytes"},
		{"the demo key", hex.EncodeToString(DemoKeys().Data), nil, "HOSO_DATA_KEY_PREVIOUS: is the public demo key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(keyEnv(map[string]string{"HOSO_DATA_KEY_PREVIOUS": tc.value}), false)
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("err = %v; want %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(c.Keys.DataPrevious, tc.want) {
				t.Errorf("DataPrevious = %x; want %x", c.Keys.DataPrevious, tc.want)
			}
		})
	}
	// The demo has no previous key unless one is given.
	if c, err := Load(func(string) string { return "" }, true); err != nil || c.Keys.DataPrevious != nil {
		t.Errorf("demo: previous %x, %v", c.Keys.DataPrevious, err)
	}
}

func TestLogValueMasksDataKeyPrevious(t *testing.T) {
	prev := strings.Repeat("5a", 32)
	c, err := Load(keyEnv(map[string]string{"HOSO_DATA_KEY_PREVIOUS": prev}), false)
	if err != nil {
		t.Fatal(err)
	}
	s := c.LogValue().String()
	if strings.Contains(s, prev) || strings.Contains(s, string(c.Keys.DataPrevious)) ||
		strings.Contains(s, base64.StdEncoding.EncodeToString(c.Keys.DataPrevious)) {
		t.Errorf("log line shows the previous key: %s", s)
	}
	if !strings.Contains(s, "data_key_previous=set (sha256 ") {
		t.Errorf("log line lacks the previous key's fingerprint: %s", s)
	}
	c, _ = Load(keyEnv(nil), false)
	if s := c.LogValue().String(); !strings.Contains(s, "data_key_previous=unset") {
		t.Errorf("log line without a previous key: %s", s)
	}
}
