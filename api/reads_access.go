package api

import "net/http"

// Who may read what beyond the public reads. The access-control issue
// refines both rules; they are here so that every read handler already asks.

// mayReadDeadlines returns nil when the request's caller may read the
// deadline queue of council: an administrator, or an officer of that
// council. The public gets a 401 problem, anyone else a 403.
func mayReadDeadlines(r *http.Request, council string) error {
	c, err := requireCaller(r)
	if err != nil {
		return err
	}
	return authorize(c, actReadDeadlines, target{council: council})
}
