package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// clockEnv names the environment variable that gives the daemon a moved
// clock, for tests that must see a day, a night or years pass: the path of a
// file holding an offset from the real time, as a Go duration ("26h",
// "-1h30m") or as the RFC 3339 instant the clock should show now
// ("2031-06-01T03:00:00Z"; the clock runs on from there). The file is read
// again whenever it changes, so a test moves the clock of a running daemon
// by rewriting it. Unset, the daemon uses the real time.
const clockEnv = "CIPMINI_TEST_CLOCK"

// newClock returns the daemon's clock: time.Now, or the moved clock of
// $CIPMINI_TEST_CLOCK. It is safe for concurrent use.
func newClock() (func() time.Time, error) {
	path := os.Getenv(clockEnv)
	if path == "" {
		return time.Now, nil
	}
	c := &fileClock{path: path}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c.now, nil
}

// fileClock is the real time moved by an offset read from a file.
type fileClock struct {
	path string

	mu     sync.Mutex
	mtime  time.Time
	size   int64
	offset time.Duration
}

func (c *fileClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fi, err := os.Stat(c.path); err == nil && (!fi.ModTime().Equal(c.mtime) || fi.Size() != c.size) {
		c.load(fi) // a file being rewritten keeps the offset in force
	}
	return time.Now().Add(c.offset)
}

func (c *fileClock) reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	fi, err := os.Stat(c.path)
	if err != nil {
		return fmt.Errorf("cipmini: %s: %w", clockEnv, err)
	}
	return c.load(fi)
}

// load reads the offset; c.mu is held.
func (c *fileClock) load(fi os.FileInfo) error {
	b, err := os.ReadFile(c.path)
	if err != nil {
		return fmt.Errorf("cipmini: %s: %w", clockEnv, err)
	}
	off, err := parseClockOffset(strings.TrimSpace(string(b)), time.Now())
	if err != nil {
		return fmt.Errorf("cipmini: %s: %w", clockEnv, err)
	}
	c.offset, c.mtime, c.size = off, fi.ModTime(), fi.Size()
	return nil
}

// parseClockOffset reads a duration, or an instant taken as now.
func parseClockOffset(s string, real time.Time) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither a duration nor an RFC 3339 time", s)
	}
	return t.Sub(real), nil
}
