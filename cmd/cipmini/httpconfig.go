package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cmd/cipmini/web"
	"github.com/cipmini/cipmini/store"
)

// checkInGrace reads checkin_grace: zero when unset or "0".
func (c *Config) checkInGrace() (time.Duration, error) {
	if c.CheckInGrace == "" || c.CheckInGrace == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(c.CheckInGrace)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("checkin_grace = %q: want a duration such as 10m, or 0 for never", c.CheckInGrace)
	}
	return d, nil
}

// newWeb builds the HTTP server of the configuration over the scheduler the
// CIP server uses. It is built even when http_listen is empty, so that
// commands are counted the same way.
func (c *Config) newWeb(sched *sched.Scheduler, dir *directory.Directory, db *store.DB, refKey []byte, logger *slog.Logger) *web.Server {
	grace, _ := c.checkInGrace() // checked by parseConfig
	show := map[string]bool{}
	for _, uc := range c.Users {
		if uc.ShowTitles {
			show[dir.UserID(uc.Name)] = true
		}
	}
	opts := web.Options{ServerID: c.ServerID, PanelPIN: c.PanelPIN, ShowTitles: show,
		CheckInGrace: grace, Logger: logger, Now: sched.Now, RefKey: refKey}
	c.webQuotas(&opts)
	return web.New(sched, dir, db, opts)
}
