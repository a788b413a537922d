package main

import (
	"context"
	"errors"
	"io"
)

// benchCmd is `acv bench`.
func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("bench: not yet")
}
