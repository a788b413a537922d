// Command acv is the registry of England's community assets: one binary
// that serves the HTTP API (`acv serve`) and runs the administrative
// commands (`acv migrate`, `acv verify`). It is wiring only: configuration
// from the environment and flags, the store, the HTTP server, shutdown.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	gcDefaults(os.Getenv)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "acv:", err)
		}
		os.Exit(exitCode(err))
	}
}

// errUsage reports a command line that could not be understood; the usage
// text has been printed already.
var errUsage = errors.New("usage")

func exitCode(err error) int {
	switch {
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errBrokenChain):
		return 3
	}
	return 1
}

const usage = `acv - the registry of England's community assets

Usage:
  acv serve    [flags]   serve the HTTP API (migrates the store first)
  acv migrate  [flags]   apply pending schema migrations and exit
  acv verify   [flags]   check the hash chain of every stream (or --stream S);
                         exits 3 and names each broken stream and version
  acv rebuild  [flags]   rebuild every read model from the log into fresh tables,
                         then swap them in while the API keeps serving
  acv erase --subject S  erase a data subject's personal data (repeatable --subject);
                         --list --asset ID prints an asset's subjects and their fields
  acv generate [flags]   write a realistic national history (--scale, --seed) into the store
  acv bench    [flags]   measure the store beside raw baselines (--events, --json FILE)
  acv poison list|replay the events a consumer of the log gave up on: list them,
                         or run them through their consumer again
  acv token create|list|revoke
                         API tokens: make one for an organisation and role (shown
                         once), list them, revoke one
  acv help               show this text

Every command takes the store flags below; 'acv COMMAND --help' lists its own.
With no configuration the registry keeps an embedded SQLite file under ./data;
set ACV_DATABASE_URL=postgres://... to use PostgreSQL.
`

// run is the whole program, so tests can drive the real wiring.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "verify":
		return verify(ctx, rest, getenv, stdout, stderr)
	case "rebuild":
		return rebuild(ctx, rest, getenv, stdout, stderr)
	case "poison":
		return poison(ctx, rest, getenv, stdout, stderr)
	case "token":
		return token(ctx, rest, getenv, stdout, stderr)
	case "erase":
		return erase(ctx, rest, getenv, stdout, stderr)
	case "generate":
		return generateCmd(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return benchCmd(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "acv: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
