// Package storetest holds helpers for tests of code over package store: a
// storage device whose fsyncs the test lets through one at a time, to see
// what waits for the disk. It imports nothing of store, so store's own
// tests use it too.
package storetest

import (
	"os"
	"sync/atomic"
)

// Gate is an fsync (for store.Options.Fsync) that waits until the test lets
// it pass, and counts. It is safe for concurrent use.
type Gate struct {
	calls   atomic.Int64
	Entered chan struct{} // receives a value as each fsync starts (up to 100 unread)
	Open    chan error    // each fsync takes one value: nil to sync, or the error to return
	free    chan struct{} // closed by Release: every fsync passes
}

// NewGate returns a closed Gate.
func NewGate() *Gate {
	return &Gate{Entered: make(chan struct{}, 100), Open: make(chan error, 100), free: make(chan struct{})}
}

// Fsync waits for a value on Open (or for Release), then syncs f unless
// that value is an error, which it returns.
func (g *Gate) Fsync(f *os.File) error {
	g.calls.Add(1)
	select {
	case g.Entered <- struct{}{}:
	default:
	}
	select {
	case err := <-g.Open:
		if err != nil {
			return err
		}
	case <-g.free:
	}
	return f.Sync()
}

// Calls returns how many fsyncs have started.
func (g *Gate) Calls() int64 { return g.calls.Load() }

// Release lets every fsync from now on pass. Call it once.
func (g *Gate) Release() { close(g.free) }
