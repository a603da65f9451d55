package main

import (
	"context"
	"fmt"
)

// ui opens the course. Until the terminal UI lands, it shows the course
// list and how to grade an exercise.
func (a *app) ui(ctx context.Context, args []string) error {
	if err := a.list(nil); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\nEdit an exercise's folder, then grade it with `streamlab check ID`.\n")
	return nil
}
