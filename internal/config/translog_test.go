package config

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"hoso/internal/translog"
)

func TestTransparencyLogSettings(t *testing.T) {
	w1, _ := translog.NewWitnessKey(bytes.Repeat([]byte{1}, 32), "congdvc.example.vn/witness", nil)
	w2, _ := translog.NewWitnessKey(bytes.Repeat([]byte{2}, 32), "thanhtra.example.vn/w", nil)
	lk, _ := translog.NewLogKey(bytes.Repeat([]byte{3}, 32), "hoso.example.vn/api/v1/log")
	c, err := Load(keyEnv(map[string]string{"HOSO_BASE_URL": "https://hoso.example.vn/"}), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Origin != "hoso.example.vn/api/v1/log" || c.Log.CheckpointEvery != time.Minute || c.Log.SequenceEvery != time.Second || c.Log.Quorum != 0 {
		t.Errorf("defaults: %+v", c.Log)
	}
	c, err = Load(keyEnv(map[string]string{"HOSO_LOG_WITNESSES": w1.Vkey() + ", " + w2.Vkey(), "HOSO_LOG_QUORUM": "1",
		"HOSO_LOG_ORIGIN": "log.example/x", "HOSO_LOG_CHECKPOINT_EVERY": "10s", "HOSO_LOG_KEY_PREVIOUS": strings.Repeat("66", 32),
		"HOSO_LOG_RETIRED_KEYS": lk.Vkey()}), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Log.Witnesses) != 2 || c.Log.Quorum != 1 || c.Log.Origin != "log.example/x" || c.Log.CheckpointEvery != 10*time.Second ||
		len(c.Keys.LogPrevious) != 32 || len(c.Log.Retired) != 1 {
		t.Errorf("set: %+v", c.Log)
	}
	if s := c.LogValue().String(); strings.Contains(s, strings.Repeat("66", 32)) || strings.Contains(s, strings.Repeat("55", 32)) {
		t.Error("the start-up log shows a log key")
	}
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"missing key":            {map[string]string{"HOSO_LOG_KEY": ""}, "HOSO_LOG_KEY: missing"},
		"short key":              {map[string]string{"HOSO_LOG_KEY": "abcd"}, "HOSO_LOG_KEY"},
		"the demo's key":         {map[string]string{"HOSO_LOG_KEY": hexOf(DemoKeys().Log)}, "HOSO_LOG_KEY: is the public demo key"},
		"previous equals":        {map[string]string{"HOSO_LOG_KEY_PREVIOUS": strings.Repeat("55", 32)}, "HOSO_LOG_KEY_PREVIOUS: equals"},
		"witness not a vkey":     {map[string]string{"HOSO_LOG_WITNESSES": "nonsense"}, "HOSO_LOG_WITNESSES"},
		"the log's key given":    {map[string]string{"HOSO_LOG_WITNESSES": lk.Vkey()}, "want 0x04"},
		"a witness twice":        {map[string]string{"HOSO_LOG_WITNESSES": w1.Vkey() + "," + w1.Vkey()}, "given twice"},
		"quorum above witnesses": {map[string]string{"HOSO_LOG_WITNESSES": w1.Vkey(), "HOSO_LOG_QUORUM": "2"}, "HOSO_LOG_QUORUM"},
		"checkpoint too rare":    {map[string]string{"HOSO_LOG_CHECKPOINT_EVERY": "5m"}, "at most 1m"},
		"origin with a space":    {map[string]string{"HOSO_LOG_ORIGIN": "a b"}, "HOSO_LOG_ORIGIN"},
		"origin with a plus":     {map[string]string{"HOSO_LOG_ORIGIN": "a+b"}, "HOSO_LOG_ORIGIN"},
	} {
		if _, err := Load(keyEnv(tc.env), false); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	// The demo signs with its public key.
	if c, err := Load(keyEnv(map[string]string{"HOSO_LOG_KEY": ""}), true); err != nil || !bytes.Equal(c.Keys.Log, DemoKeys().Log) {
		t.Errorf("demo: %v", err)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, x := range b {
		out[2*i], out[2*i+1] = digits[x>>4], digits[x&15]
	}
	return string(out)
}
