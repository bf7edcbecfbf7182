// Package tracking is the custody ledger's domain: S10 tracking numbers, the
// pickup requests and parcels they name, the event vocabulary with its UPU
// codes, the state machine of both legs, two-party hand-offs and the rules
// that decide who holds every parcel and every original document.
//
// It imports no driver or framework; persistence is behind the small Store
// interfaces its services declare.
package tracking
