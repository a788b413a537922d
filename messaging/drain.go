package messaging

import (
	"context"
	"errors"
)

// Drain runs the router until every consumer has handled every event
// committed when it was called, then stops it. It is how a command or a
// test brings consumers up to date without serving.
func (r *Router) Drain(ctx context.Context) error {
	last, err := r.cfg.Store.LastPosition(ctx)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() {
		err := r.Run(runCtx)
		stop() // a router that stops on its own ends the wait below
		done <- err
	}()
	var waitErr error
	for _, c := range r.consumers {
		if waitErr = NewProgress(r.cfg.DB, r.cfg.Dialect, r.cfg.Store, c.Name(), r).WaitFor(runCtx, last); waitErr != nil {
			break
		}
	}
	stop()
	runErr := <-done
	if waitErr != nil && errors.Is(waitErr, context.Canceled) && runErr != nil {
		return runErr
	}
	return errors.Join(waitErr, runErr)
}
