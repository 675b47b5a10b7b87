package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cipmini/cipmini/boards"
	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cmd/cipmini/web"
)

// checkQuotas checks the resource bounds' settings.
func (c *Config) checkQuotas() error {
	for key, v := range map[string]*int64{"max_bytes_per_hour": c.MaxBytesPerHour, "max_store_bytes": c.MaxStoreBytes} {
		if v != nil && *v < 0 {
			return fmt.Errorf("%s = %d: want 0 (no limit) or more", key, *v)
		}
	}
	if v := c.AnonymousStoreShare; v != nil && !(*v > 0 && *v <= 1) {
		return fmt.Errorf("anonymous_store_share = %g: want a share above 0 and at most 1", *v)
	}
	if c.MaxHTTPConns != nil && *c.MaxHTTPConns < 0 {
		return fmt.Errorf("max_http_conns = %d: want 0 (no limit) or more", *c.MaxHTTPConns)
	}
	for key, v := range map[string]string{"auth_failure_delay": c.AuthFailureDelay, "busy_idle_timeout": c.BusyIdleTimeout} {
		if _, err := durationSetting(key, v); err != nil {
			return err
		}
	}
	return nil
}

// durationSetting reads a duration key: 0 when unset, -1 for "0" (none),
// the duration otherwise.
func durationSetting(key, v string) (time.Duration, error) {
	switch v {
	case "":
		return 0, nil
	case "0":
		return -1, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s = %q: want a duration such as 1s or 30s, or 0 for none", key, v)
	}
	return d, nil
}

// applyBoardQuotas fills in max_store_bytes and max_http_conns from the
// board where the configuration does not set them.
func applyBoardQuotas(b *boards.Board, cfg *Config) {
	if !cfg.meta.IsDefined("max_store_bytes") && b.MaxStoreBytes > 0 {
		cfg.MaxStoreBytes = &b.MaxStoreBytes
	}
	if !cfg.meta.IsDefined("max_http_conns") && b.MaxHTTPConns > 0 {
		cfg.MaxHTTPConns = &b.MaxHTTPConns
	}
}

// loginGuard returns the one per-address count of failed logins and PINs
// that CIP, HTTP Basic and the panel share, made on first call.
func (c *Config) loginGuard() *cipmini.LoginGuard {
	if c.guard == nil {
		d, _ := durationSetting("auth_failure_delay", c.AuthFailureDelay) // checked by parseConfig
		c.guard = &cipmini.LoginGuard{PerMinute: limit(c.MaxLoginFailuresPerMinute), BaseDelay: d}
	}
	return c.guard
}

// applyQuotas sets the bounds of the CIP server, the scheduler and the
// HTTP server: the shared login guard, sessions per address (half of
// max_conns unless max_conns_per_addr is set), the idle cut when busy,
// the store's cap and the HTTP connection cap.
func (c *Config) applyQuotas(srv *cipmini.Server, sched *sched.Scheduler) {
	srv.Guard = c.loginGuard()
	if c.MaxConnsPerAddr == nil {
		srv.MaxConnsPerAddr = max(orDefaultConns(c.MaxConns)/2, 1)
	}
	srv.BusyIdleTimeout, _ = durationSetting("busy_idle_timeout", c.BusyIdleTimeout)
	sched.MaxStoreBytes = limit(c.MaxStoreBytes)
	if c.AnonymousStoreShare != nil {
		sched.AnonymousStoreShare = *c.AnonymousStoreShare
	}
}

// webQuotas are the HTTP server's options from the bounds' settings.
func (c *Config) webQuotas(o *web.Options) {
	o.Guard = c.loginGuard()
	if c.MaxHTTPConns != nil {
		o.MaxConns = limit(c.MaxHTTPConns)
	}
}

// orDefaultConns is max_conns with its default.
func orDefaultConns(n int) int {
	if n == 0 {
		return cipmini.DefaultMaxConns
	}
	return n
}

// quotaTexts are the octets per hour, the store's cap and the HTTP
// connections in force.
func (c *Config) quotaTexts() (perHour, storeCap, httpConns string) {
	return limitText(c.MaxBytesPerHour, cipmini.DefaultBytesPerHour),
		limitText(c.MaxStoreBytes, sched.DefaultMaxStoreBytes),
		limitText(c.MaxHTTPConns, web.DefaultMaxConns)
}

// describeQuotas is `cipmini check`'s account of the resource bounds.
func describeQuotas(w io.Writer, c *Config) {
	b, s, h := c.quotaTexts()
	fmt.Fprintf(w, "quotas: %s data octets per hour per client, store cap %s octets, %s HTTP connections\n", b, s, h)
}

// logQuotas logs the resource bounds in force when the server starts.
func logQuotas(log *slog.Logger, c *Config) {
	b, s, h := c.quotaTexts()
	log.Info("cipmini: bounds", "max_bytes_per_hour", b, "max_store_bytes", s, "max_http_conns", h)
}
