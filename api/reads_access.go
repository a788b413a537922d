package api

import (
	"fmt"
	"net/http"
)

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
	if c.Role == RoleAdministrator || (c.Role == RoleCouncilOfficer && c.Org == council) {
		return nil
	}
	return &Problem{Status: http.StatusForbidden, Title: "Forbidden",
		Detail: fmt.Sprintf("only officers of council %s may read its deadlines", council)}
}
