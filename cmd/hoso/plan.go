package main

import (
	"context"
	"errors"
	"io"
)

// cmdPlan is replaced by the planner work.
func cmdPlan(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	return errors.New("plan: not built yet")
}
