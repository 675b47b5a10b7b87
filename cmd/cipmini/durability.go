package main

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/cipmini/cipmini/store"
)

// Defaults of the durability keys.
const (
	defaultBackupAt   = "03:00"
	defaultBackupKeep = 7
)

// backupTime parses backup_at: "HH:MM" local time (default "03:00"), or
// "off" for no automatic snapshots. It returns the minutes after midnight,
// or -1 for off.
func (c *Config) backupTime() (int, error) {
	at := c.BackupAt
	if at == "" {
		at = defaultBackupAt
	}
	if at == "off" {
		return -1, nil
	}
	t, err := time.Parse("15:04", at)
	if err != nil {
		return 0, fmt.Errorf("backup_at = %q: want HH:MM (local time) or \"off\"", c.BackupAt)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// checkDurability checks backup_at, backup_keep and max_damaged_records.
func (c *Config) checkDurability() error {
	if _, err := c.backupTime(); err != nil {
		return err
	}
	if c.BackupKeep != nil && *c.BackupKeep < 1 {
		return fmt.Errorf("backup_keep = %d: want at least 1", *c.BackupKeep)
	}
	if c.MaxDamagedRecords != nil && *c.MaxDamagedRecords < 0 {
		return fmt.Errorf("max_damaged_records = %d: want 0 or more", *c.MaxDamagedRecords)
	}
	return nil
}

// backupKeep is backup_keep, default 7.
func (c *Config) backupKeep() int {
	if c.BackupKeep == nil {
		return defaultBackupKeep
	}
	return *c.BackupKeep
}

// maxDamaged is max_damaged_records as the store's option: default 10; 0
// (refuse any damage) is the store's negative value.
func (c *Config) maxDamaged() int {
	switch {
	case c.MaxDamagedRecords == nil:
		return store.DefaultMaxDamagedRecords
	case *c.MaxDamagedRecords == 0:
		return -1
	}
	return *c.MaxDamagedRecords
}

// backupDirs are the directories snapshots go to: backups/ in the data
// directory, and backup_dir when set.
func (c *Config) backupDirs() []string {
	dirs := []string{filepath.Join(c.DataDir, store.BackupDir)}
	if c.BackupDir != "" {
		dirs = append(dirs, c.BackupDir)
	}
	return dirs
}

// restoreHint adds the command that brings back the newest good backup to
// an error of a data file the store refuses to open.
func restoreHint(err error, dataDir string) error {
	var de *store.DamagedError
	var ce *store.CorruptError
	if errors.As(err, &de) || errors.As(err, &ce) {
		return fmt.Errorf("%w\ncipmini: the data file cannot be used; to bring back the newest good backup run: cipmini restore --data %s --latest", err, shellQuote(dataDir))
	}
	return err
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '/' || r == '.' || r == '-' || r == '_') {
			return "'" + fmtReplace(s) + "'"
		}
	}
	return s
}

func fmtReplace(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, `'\''`...)
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}

// backupTick is how often the snapshot loop looks at the clock. The check
// reads the clock only; nothing is written until the set hour.
const backupTick = time.Second

// startBackups takes a snapshot each day when the clock passes backup_at
// (local time), into backupDirs, keeping backup_keep of them; a directory
// whose newest snapshot holds the same data is left alone. A start after
// the hour does not take one at once: the next is at the next set hour. It
// returns a function that stops the loop and waits for it.
func startBackups(cfg *Config, db *store.DB, now func() time.Time, log *slog.Logger) func() {
	at, _ := cfg.backupTime()
	if at < 0 {
		return func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	dirs, keep := cfg.backupDirs(), cfg.backupKeep()
	go func() {
		defer close(done)
		t := time.NewTicker(backupTick)
		defer t.Stop()
		prev := now()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			cur := now()
			if due := lastDue(cur, at); due.After(prev) && !due.After(cur) {
				res, err := db.WriteSnapshot(cur, keep, dirs...)
				if err != nil {
					log.Error("cipmini: daily snapshot failed", "err", err)
				}
				if len(res.Written) > 0 {
					log.Info("cipmini: daily snapshot written", "bytes", res.Bytes, "dirs", res.Written, "keep", keep)
				}
				if len(res.Current) > 0 {
					log.Debug("cipmini: daily snapshot skipped, the data has not changed since the newest", "bytes", res.Bytes, "dirs", res.Current)
				}
			}
			prev = cur
		}
	}()
	return func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-done
	}
}

// lastDue is the latest time at the set minute of the day, local time, at
// or before now.
func lastDue(now time.Time, minute int) time.Time {
	l := now.Local()
	due := time.Date(l.Year(), l.Month(), l.Day(), minute/60, minute%60, 0, 0, time.Local)
	if due.After(l) {
		due = time.Date(l.Year(), l.Month(), l.Day()-1, minute/60, minute%60, 0, 0, time.Local)
	}
	return due
}
