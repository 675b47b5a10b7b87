package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/cipmini/cipmini/boards"
	"github.com/cipmini/cipmini/cipmini/sched"
)

// Defaults of the retention settings.
const (
	defaultKeepHistoryDays = 400
	defaultMaintenanceAt   = "03:30"
)

// checkRetention checks keep_history_days, maintenance_at and the
// queue_max_* bounds.
func (c *Config) checkRetention() error {
	if c.KeepHistoryDays != nil && (*c.KeepHistoryDays < 0 || *c.KeepHistoryDays > 100*366) {
		return fmt.Errorf("keep_history_days = %d: want 0 (keep all) to 36600", *c.KeepHistoryDays)
	}
	if _, _, err := c.maintenanceAt(); err != nil {
		return err
	}
	if c.QueueMaxPerPeer != nil && *c.QueueMaxPerPeer < 0 {
		return fmt.Errorf("queue_max_per_peer = %d: want 0 (no limit) or more", *c.QueueMaxPerPeer)
	}
	if _, err := c.queueLimits(); err != nil {
		return err
	}
	return nil
}

// keepHistory returns keep_history_days as a duration; 0 keeps all.
func (c *Config) keepHistory() time.Duration {
	days := defaultKeepHistoryDays
	if c.KeepHistoryDays != nil {
		days = *c.KeepHistoryDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// maintenanceAt returns the hour and minute of maintenance_at ("HH:MM").
func (c *Config) maintenanceAt() (int, int, error) {
	s := c.MaintenanceAt
	if s == "" {
		s = defaultMaintenanceAt
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, fmt.Errorf("maintenance_at = %q: want a local time such as 03:30", c.MaintenanceAt)
	}
	return t.Hour(), t.Minute(), nil
}

// queueLimits reads queue_max_per_peer and queue_max_bytes_per_peer; 0
// means no limit, unset the defaults.
func (c *Config) queueLimits() (sched.QueueLimits, error) {
	var l sched.QueueLimits
	if c.QueueMaxPerPeer != nil {
		l.MaxPerPeer = *c.QueueMaxPerPeer
		if l.MaxPerPeer == 0 {
			l.MaxPerPeer = -1
		}
	}
	switch c.QueueMaxBytesPerPeer {
	case "":
	case "0":
		l.MaxBytesPerPeer = -1
	default:
		n, err := boards.ParseMemLimit(c.QueueMaxBytesPerPeer)
		if err != nil {
			return l, fmt.Errorf("queue_max_bytes_per_peer = %q: want a size such as 4MiB, or 0 for no limit", c.QueueMaxBytesPerPeer)
		}
		l.MaxBytesPerPeer = n
	}
	return l, nil
}

// nextMaintenance returns the first hh:mm in now's zone after now.
func nextMaintenance(now time.Time, hh, mm int) time.Time {
	y, m, d := now.Date()
	t := time.Date(y, m, d, hh, mm, 0, 0, now.Location())
	if !t.After(now) {
		t = time.Date(y, m, d+1, hh, mm, 0, 0, now.Location())
	}
	return t
}

// startMaintenance runs the nightly step (sched.Scheduler.Maintain) every
// day at maintenance_at, local time by the scheduler's clock, until the
// returned function is called; that function waits for a run in progress
// and may be called more than once. The clock is looked at every 30 s (and
// every 200 ms under a test clock), so a clock moved past the hour, or a
// device waking from a long pause, runs the step at once.
func startMaintenance(cfg *Config, sched *sched.Scheduler, log *slog.Logger) (stop func()) {
	hh, mm, _ := cfg.maintenanceAt() // checked when the configuration was read
	tick := 30 * time.Second
	if os.Getenv(clockEnv) != "" {
		tick = 200 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		next := nextMaintenance(sched.Now().In(time.Local), hh, mm)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := sched.Now().In(time.Local)
			if now.Before(next) {
				continue
			}
			rep, err := sched.Maintain(now)
			if err != nil {
				log.Error("cipmini: nightly maintenance", "err", err)
			} else {
				log.Info("cipmini: nightly maintenance done", "archived", rep.Archived, "retired", rep.Retired,
					"tombstones", rep.Tombstones, "failed_messages_removed", rep.FailedRemoved, "live_events", rep.Live)
			}
			next = nextMaintenance(now, hh, mm)
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
	}
}
