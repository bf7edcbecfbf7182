package app

// Dispatch plans couriers' days: zones on H3 cells, shifts, plans and
// re-plans, publishing pickup.scheduled events through the ledger. It is
// built out by the dispatch work; the web adapter and the wiring already
// know it.
type Dispatch struct{}
