// Package securityprobe is the outside security probe kept as tests. Each
// test builds the real binary (go build ./cmd/hoso), gives it a fresh
// database (hoso migrate, staff accounts made with hoso user add, a portal
// client with hoso portal add), starts hoso serve on loopback with the
// environment the check needs, puts a real nginx in front where the check
// is about a reverse proxy, and asks over HTTP from chosen loopback source
// addresses (127.0.0.x) what the probe asked: login throttling with every
// username variant, proxy headers, redirects after login, enumeration of
// tracking numbers and of the public timeline's details, pre-filled forms,
// the one-time-code SMS budget and its challenge, revocation of a lost
// phone, deactivation, password reset and change, the idle timeout,
// /metrics behind a proxy, success banners made from a URL, and the
// custody scopes of offices and couriers.
//
// `make security` runs the package; `make test` (go test ./...) does too.
// HOSO_PROBE_BINARY names a binary to probe instead of building one (an
// older build, to see which checks it fails). The tests skip when
// PostgreSQL is unreachable, except under CI; a missing nginx fails the
// proxy checks with the command that installs it (internal/testenv).
package securityprobe
