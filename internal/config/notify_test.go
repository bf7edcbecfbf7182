package config

import (
	"strings"
	"testing"
	"time"
)

func TestNotifyLoad(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	var n Notify
	if p := n.Load(env(nil), SMS{Provider: "demo"}); len(p) != 0 {
		t.Fatalf("defaults: %v", p)
	}
	if n.QuietStart != 21*time.Hour || n.QuietEnd != 7*time.Hour || n.PerDay != 6 || n.UnicodeSegments != 1 || n.MaxSegments != 2 ||
		!n.Enabled || !n.Relay || n.BackoffBase != 10*time.Second || n.BackoffCap != time.Hour || n.MaxAge != 24*time.Hour || n.Zalo() || n.CallbackAllowPrivate {
		t.Errorf("defaults %+v", n)
	}
	p := n.Load(env(map[string]string{"HOSO_QUIET_HOURS": "22:30-06:00", "HOSO_SMS_PER_DAY": "0", "HOSO_SMS_PHONE_FORMAT": "84",
		"HOSO_ZALO_APP_ID": "1", "HOSO_ZALO_SECRET_KEY": "s", "HOSO_ZALO_TEMPLATES": "collected=1", "HOSO_RELAY": "off",
		"HOSO_SMS_OK_FIELD": "CodeResult", "HOSO_SMS_OK_VALUE": "100"}), SMS{Provider: "http", URL: "https://sms.example.vn/send", Token: "t"})
	if len(p) != 0 || n.QuietStart != 22*time.Hour+30*time.Minute || n.QuietEnd != 6*time.Hour || n.PerDay != 0 || !n.Zalo() || n.Relay ||
		n.SMSURL != "https://sms.example.vn/send" || n.SMSToken != "t" {
		t.Errorf("set: %v %+v", p, n)
	}
	if n.Load(env(map[string]string{"HOSO_CALLBACK_ALLOW_PRIVATE": "on"}), SMS{}); !n.CallbackAllowPrivate {
		t.Error("HOSO_CALLBACK_ALLOW_PRIVATE=on not read")
	}
	if n.Load(env(map[string]string{"HOSO_QUIET_HOURS": "off"}), SMS{}); !n.QuietOff {
		t.Error("quiet hours off")
	}
	for name, val := range map[string]string{
		"HOSO_QUIET_HOURS": "21h-7h", "HOSO_SMS_PER_DAY": "-1", "HOSO_SMS_MAX_SEGMENTS": "0", "HOSO_SMS_PHONE_FORMAT": "0084",
		"HOSO_RELAY_POLL": "1ms", "HOSO_NOTIFY": "maybe", "HOSO_ZALO_APP_ID": "1", "HOSO_SMS_OK_FIELD": "x", "HOSO_CALLBACK_TIMEOUT": "abc",
		"HOSO_CALLBACK_ALLOW_PRIVATE": "maybe",
	} {
		p := n.Load(env(map[string]string{name: val}), SMS{})
		if len(p) == 0 || !strings.Contains(strings.Join(p, ";"), "HOSO_") {
			t.Errorf("%s=%q accepted", name, val)
		}
	}
	if p := n.Load(env(nil), SMS{Provider: "http", URL: "ftp://x"}); len(p) == 0 {
		t.Error("an http gateway without an http URL accepted")
	}
	if s := n.LogValue().String(); strings.Contains(s, "ftp://x") {
		t.Errorf("log value shows the URL: %s", s)
	}
}
