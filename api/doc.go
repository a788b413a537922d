// Package api is the registry's HTTP face: routes on gorilla/mux, JSON in
// and out, errors as RFC 9457 problem details, health and readiness.
//
// It imports domain and eventstore (never a database driver). Handlers are
// func(w, r) error; one wrapper turns an error into a problem-details body
// and logs only server faults, whose detail never reaches the client.
package api
