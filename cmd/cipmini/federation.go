package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/cipmini/cipmini/cipmini/courier"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/locate"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/store"
)

// newLocator finds other servers: SRV and A records through dns_resolver
// (or the system's resolver), with the peers' static addresses first.
func newLocator(cfg *Config) *locate.Locator {
	static := map[string]string{}
	for _, p := range cfg.Peers {
		if p.Address != "" {
			static[p.ServerID] = p.Address
		}
	}
	return locate.New(cfg.DNSResolver, static)
}

// startCourier runs the delivery of the outgoing queue, over TLS with this
// server's certificate where TLS and peer_ca are configured, until the returned
// function is called; that function waits for a delivery in progress and
// may be called more than once.
func startCourier(cfg *Config, dir *directory.Directory, db *store.DB, sched *sched.Scheduler, sec *security, log *slog.Logger) (stop func()) {
	c := courier.New(db, dir, newLocator(cfg), log)
	c.TLS = sec.clientConfig
	c.Now = sched.Now
	c.QueueLimits = sched.QueueLimits
	c.Backoff, _ = cfg.backoff() // checked when the configuration was read
	if r := cfg.mailRelay(); r != nil {
		r.Now = sched.Now
		c.Mail = r
	}
	sched.Queued = c.WakeFor
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.Run(ctx)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
	}
}
