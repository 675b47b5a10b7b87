package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// backupAtClock prepares a moved clock for a daemon with backup_at = "03:00"
// in TZ=UTC: env are the variables that give it the clock, next is the
// first 03:00 UTC more than 10 s ahead (day 0), and setClock puts the
// daemon's clock 3 s before 03:00 of the day that many days after next.
func backupAtClock(t *testing.T) (env []string, next time.Time, setClock func(day int)) {
	t.Helper()
	clock := filepath.Join(t.TempDir(), "clock")
	now := time.Now().UTC()
	next = now.Truncate(24 * time.Hour).Add(3 * time.Hour)
	if !next.After(now.Add(10 * time.Second)) {
		next = next.AddDate(0, 0, 1)
	}
	setClock = func(day int) {
		off := next.AddDate(0, 0, day).Add(-3 * time.Second).Sub(time.Now())
		if err := os.WriteFile(clock, []byte(off.Round(time.Second).String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []string{clockEnv + "=" + clock, "TZ=UTC"}, next, setClock
}
