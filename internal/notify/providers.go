package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Channels a message can go by.
const (
	ChannelSMS  = "sms"
	ChannelZalo = "zalo"
)

// SMSMessage is one text to one phone. ID identifies the notification (the
// outbox row), so a gateway that deduplicates can.
type SMSMessage struct {
	ID      string
	Phone   string // ten digits, 0xxxxxxxxx
	Text    string
	Unicode bool
}

// SMS is a provider that carries a text to a phone.
type SMS interface {
	Name() string
	SendSMS(ctx context.Context, m SMSMessage) error
}

// Demo hands messages to the demo store (app.DemoSMS), which keeps them
// for staff to read on /nhan-vien/tin-nhan.
type Demo struct {
	Store interface {
		Send(ctx context.Context, phone, body string) error
	}
}

// Name is "demo".
func (Demo) Name() string { return "demo" }

// SendSMS stores the message.
func (d Demo) SendSMS(ctx context.Context, m SMSMessage) error {
	if err := d.Store.Send(ctx, m.Phone, m.Text); err != nil {
		return &ProviderError{Provider: "demo", Reason: "store", Msg: "không lưu được tin nhắn demo"}
	}
	return nil
}

// ProviderError is a provider's refusal or failure. Its text never holds a
// phone number, a credential or a response body.
type ProviderError struct {
	Provider  string
	Reason    string // timeout, network, http_4xx, http_5xx, refused, config
	Code      string // the provider's status or error code
	Msg       string
	Permanent bool // retrying the same message cannot help
}

func (e *ProviderError) Error() string {
	s := e.Provider + ": " + e.Reason
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// IsPermanent reports whether err says retrying cannot help.
func IsPermanent(err error) bool {
	var pe *ProviderError
	return errors.As(err, &pe) && pe.Permanent
}

// ReasonOf is the failure class of err, for metrics.
func ReasonOf(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return "other"
}

// transportError describes a failed HTTP exchange without the URL (which
// may carry a key) or anything the server said.
func transportError(provider string, ctx context.Context, err error) *ProviderError {
	var ne net.Error
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &ProviderError{Provider: provider, Reason: "timeout", Msg: "hết thời gian chờ"}
	}
	msg := "không kết nối được"
	switch s := err.Error(); {
	case strings.Contains(s, "connection refused"):
		msg = "máy chủ từ chối kết nối"
	case strings.Contains(s, "no such host"):
		msg = "không tìm thấy máy chủ"
	case strings.Contains(s, "tls:") || strings.Contains(s, "x509:"):
		msg = "lỗi TLS"
	case strings.Contains(s, "connection reset") || strings.Contains(s, "EOF"):
		msg = "kết nối bị ngắt"
	}
	return &ProviderError{Provider: provider, Reason: "network", Msg: msg}
}

// httpError classifies a non-success HTTP status.
func httpError(provider string, status int) *ProviderError {
	reason := "http_4xx"
	if status >= 500 {
		reason = "http_5xx"
	} else if status >= 300 && status < 400 {
		reason = "redirect"
	}
	return &ProviderError{Provider: provider, Reason: reason, Code: fmt.Sprint(status)}
}
