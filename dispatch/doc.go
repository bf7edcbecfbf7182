// Package dispatch is the domain of planning couriers' days: post offices'
// zones on H3 cells, couriers' shifts and absences, dispatcher pins, and
// plans (routes per courier with stops, windows, ETAs and loads) with their
// validation. Build turns a day's pickup requests and shifts into a
// vrptw.Problem over a travel.Model and turns the solver's answer back into a
// Plan; Verify checks any plan against the day's rules independently of the
// solver. Persistence is behind the consumer-defined Store. The package
// imports no driver or framework: only the standard library, the planner
// and travel model beneath it, the H3 wrapper's types and the error kinds.
package dispatch
