package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// cliActor is who the token commands record as having made or revoked a
// token: an administrator at the registry's own command line.
var cliActor = eventstore.Actor{Org: api.RegistryOrg, Role: api.RoleAdministrator, TokenID: "cli"}

const tokenUsage = `Usage:
  acv token create --role ROLE [--org ID] [--name TEXT] [--expires 90d]
                     make a token; it is printed once and stored only as a hash.
                     ROLE: administrator (org: registry), council_officer (org: a
                     council's code), community_group or owner (org: its id)
  acv token list   [--org ID] [--json]   every token's metadata, never a secret
  acv token revoke ID                    revoke a token
`

// token is `acv token create|list|revoke`.
func token(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "revoke") {
		fmt.Fprint(stderr, tokenUsage)
		return errUsage
	}
	sub := args[0]
	fs, c := newFlagSet("token "+sub, "Make, list or revoke API tokens.", getenv, stderr)
	org := fs.String("org", "", "create: the organisation the token acts for; list: only its tokens")
	role := fs.String("role", "", "create: administrator, council_officer, community_group or owner")
	name := fs.String("name", "", "create: a label, such as what the token is for")
	expires := fs.String("expires", "90d", "create: how long it lasts: 90d (days) or a duration such as 12h")
	asJSON := fs.Bool("json", false, "print JSON")
	parseArgs := parse
	if sub == "revoke" {
		parseArgs = parseFlags // the id follows the flags
	}
	if err := parseArgs(fs, args[1:]); err != nil {
		return helpOK(err)
	}
	if sub == "revoke" && fs.NArg() != 1 {
		fmt.Fprint(stderr, tokenUsage)
		return errUsage
	}
	o, err := openAll(ctx, *c, stderr)
	if err != nil {
		return err
	}
	defer o.Close()
	store, db := o.store, o.dbs.state
	if err := api.MigrateTokens(ctx, db.SQL, db.Dialect); err != nil {
		return err
	}
	tokens := api.NewTokens(db.SQL, db.Dialect, eventstore.NewOrganisations(store, uuid.New), api.TokenOptions{Now: time.Now})
	switch sub {
	case "create":
		life, err := api.ParseLifetime(*expires)
		if err != nil {
			return err
		}
		t, bearer, err := tokens.Create(ctx, api.NewToken{Org: *org, Role: *role, Name: *name, Life: life}, cliActor)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(map[string]any{"token": bearer, "id": t.ID, "org": t.Org, "role": t.Role, "expires_at": t.ExpiresAt})
		}
		fmt.Fprintf(stderr, "acv: token %s for %s as %s, expires %s; it is shown once:\n", t.ID, t.Org, t.Role, t.ExpiresAt.Format(time.RFC3339))
		fmt.Fprintln(stdout, bearer)
		return nil
	case "list":
		ts, err := tokens.List(ctx, *org)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(ts)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tORG\tROLE\tNAME\tEXPIRES\tREVOKED\tLAST USED")
		for _, t := range ts {
			revoked, used := "-", "-"
			if t.RevokedAt != nil {
				revoked = t.RevokedAt.Format(time.RFC3339)
			}
			if t.LastUsedAt != nil {
				used = t.LastUsedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Org, t.Role, t.Name, t.ExpiresAt.Format(time.RFC3339), revoked, used)
		}
		return tw.Flush()
	}
	t, err := tokens.Revoke(ctx, fs.Arg(0), cliActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "acv: token %s revoked at %s\n", t.ID, t.RevokedAt.Format(time.RFC3339))
	return nil
}
