// Package errs is the application's one error type: a closed set of kinds
// that every layer shares, so the HTTP adapter can map them to statuses in a
// single table and people see a message they can act on.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers; it never carries details.
type Kind string

// The kinds. Anything that is not an *Error is Internal.
const (
	Invalid      Kind = "invalid"
	NotFound     Kind = "not_found"
	Conflict     Kind = "conflict"
	Unauthorized Kind = "unauthorized"
	Forbidden    Kind = "forbidden"
	RateLimited  Kind = "rate_limited"
	Unavailable  Kind = "unavailable"
	Internal     Kind = "internal"
	// Unprocessable is an Invalid input that was well-formed but breaks a
	// rule (HTTP 422 in the portal contract).
	Unprocessable Kind = "unprocessable"
)

// Error is an application error: a kind, a message a person can act on
// (Vietnamese where it may reach a page), field messages for forms and JSON
// bodies, and the wrapped cause for logs.
type Error struct {
	Kind    Kind
	Message string
	Fields  map[string]string
	Err     error
}

func (e *Error) Error() string {
	msg := string(e.Kind)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an error of a kind with a message.
func E(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrapf builds an error of a kind around a cause.
func Wrapf(kind Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: err}
}

// WithFields returns a copy of e whose field messages include fields.
func (e *Error) WithFields(fields map[string]string) *Error {
	c := *e
	c.Fields = make(map[string]string, len(e.Fields)+len(fields))
	for k, v := range e.Fields {
		c.Fields[k] = v
	}
	for k, v := range fields {
		c.Fields[k] = v
	}
	return &c
}

// KindOf reports the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err's chain holds an *Error of kind k.
func Is(err error, k Kind) bool {
	return err != nil && KindOf(err) == k
}

// MessageOf returns the person-facing message of err, or "" for internal
// errors (whose text must never be shown).
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		return e.Message
	}
	return ""
}

// FieldsOf returns the field messages of err's first *Error.
func FieldsOf(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Wrap adds the operation to an error in place, for use with defer:
//
//	defer errs.Wrap(&err, "FindParcel(%q)", n)
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}

// Fields collects field messages while validating, then turns into an
// Invalid or Unprocessable error when any was added.
type Fields map[string]string

// Add records a message for a field unless one is already there.
func (f Fields) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Err returns nil when no field failed, else an error of kind k with msg.
func (f Fields) Err(k Kind, msg string) error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: k, Message: msg, Fields: map[string]string(f)}
}
