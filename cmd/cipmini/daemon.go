package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/backend"
	"github.com/cipmini/cipmini/cipmini/imip"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cmd/cipmini/web"
	"github.com/cipmini/cipmini/store"
	"github.com/emersion/go-smtp"
)

// listenFunc opens a listener; net.Listen is the daemon's, tests pass one
// that fails on purpose.
type listenFunc func(network, addr string) (net.Listener, error)

// daemon is one running server: the store, the scheduler, the courier, the
// nightly maintenance, the backups, the web face and the CIP listeners.
// newDaemon opens and starts everything but the listeners' serving; Run
// serves until its context ends or any listener fails, and then shuts
// everything down in order. A daemon is used once, from one goroutine.
type daemon struct {
	cfg    *Config
	log    *slog.Logger
	sync   store.SyncPolicy
	db     *store.DB
	srv    *cipmini.Server
	httpd  *web.Server
	sec    *security
	cip    net.Listener // the CIP listener
	tls    net.Listener // the implicit TLS listener, or nil
	web    net.Listener // the HTTP listener, or nil
	smtp   net.Listener // the mail door's SMTP listener, or nil
	mail   *imip.Server // the mail door, or nil
	poll   func()       // stops the mail door's IMAP poller; nil without one
	stops  []func()     // what newDaemon started, in start order
	closed bool
	dbErr  error // from closing the store
}

// runHooks are told of the daemon's life: ready once everything serves,
// with the CIP listener's address; stopping when the shutdown begins.
type runHooks struct {
	ready    func(cip net.Addr)
	stopping func()
}

// webShutdownGrace is how long the web face waits for requests in flight.
const webShutdownGrace = 5 * time.Second

// newDaemon opens the store of cfg and starts what runs beside the
// listeners. On error everything it opened is closed again.
func newDaemon(cfg *Config, logger *slog.Logger, listen listenFunc) (_ *daemon, err error) {
	if listen == nil {
		listen = net.Listen
	}
	d := &daemon{cfg: cfg, log: logger}
	defer func() {
		if err != nil {
			d.stop()
		}
	}()
	dir, err := cfg.Directory()
	if err != nil {
		return nil, err
	}
	if d.sec, err = cfg.loadSecurity(); err != nil {
		return nil, err
	}
	now, err := newClock()
	if err != nil {
		return nil, err
	}
	d.sync, _ = cfg.syncPolicy()
	db, err := store.Open(cfg.DataDir, &store.Options{Sync: d.sync, Logger: logger, MaxDamagedRecords: cfg.maxDamaged()})
	if err != nil {
		return nil, restoreHint(err, cfg.DataDir)
	}
	d.db = db
	d.stops = append(d.stops, func() {
		if err := db.Close(); err != nil {
			d.dbErr = fmt.Errorf("cipmini: closing the store: %w", err)
		}
	})
	// Before anything can copy the store (a daily snapshot), so that every
	// copy carries the feeds' reference key.
	refKey, err := loadRefKey(db, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	// A collection after the store's load, so that the indexes built next
	// fill the memory its check left instead of spans beside it; what is
	// free once they are built goes back to the system.
	collectAfterOpen(db)
	sch, err := sched.NewScheduler(db, dir, logger)
	if err != nil {
		return nil, err
	}
	freeAfterOpen(db)
	sch.Now = now
	sch.KeepHistory = cfg.keepHistory()
	sch.QueueLimits, _ = cfg.queueLimits() // checked when the configuration was read
	d.stops = append(d.stops,
		startCourier(cfg, dir, db, sch, d.sec, logger),
		startMaintenance(cfg, sch, logger),
		startBackups(cfg, db, now, logger))
	d.httpd = cfg.newWeb(sch, dir, db, refKey, logger)
	d.srv = &cipmini.Server{ServerID: cfg.ServerID, Backend: cipmini.Chain(backend.New(sch, logger), cfg.rateLimit(), d.httpd.Metrics()), Auth: backend.NewAuth(dir), Logger: logger, MaxConns: cfg.MaxConns}
	cfg.applySecurity(d.srv, d.sec)
	cfg.applyQuotas(d.srv, sch)
	go dir.PrepareLogin()
	logQuotas(logger, cfg)
	if d.cip, err = listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("cipmini: %w", err)
	}
	d.stops = append(d.stops, func() { d.cip.Close() })
	if d.sec.cert != nil && d.sec.tlsListen != "" {
		if d.tls, err = listen("tcp", d.sec.tlsListen); err != nil {
			return nil, fmt.Errorf("cipmini: tls_listen: %w", err)
		}
		d.stops = append(d.stops, func() { d.tls.Close() })
		d.tls = d.httpd.CountSessions(d.tls)
	}
	d.cip = d.httpd.CountSessions(d.cip)
	if cfg.HTTPListen != "" {
		if d.web, err = listen("tcp", cfg.HTTPListen); err != nil {
			return nil, fmt.Errorf("cipmini: http_listen: %w", err)
		}
		d.stops = append(d.stops, func() { d.web.Close() })
	}
	if cfg.SMTPListen != "" {
		if d.mail, err = cfg.newMailServer(d.srv.Backend, dir, d.sec, logger); err != nil {
			return nil, err
		}
		if d.smtp, err = listen("tcp", cfg.SMTPListen); err != nil {
			return nil, fmt.Errorf("cipmini: smtp_listen: %w", err)
		}
		d.stops = append(d.stops, func() { d.smtp.Close() })
	}
	poller, err := cfg.newPoller(d.srv.Backend, dir, logger)
	if err != nil {
		return nil, err
	}
	if poller != nil {
		d.poll = sync.OnceFunc(startPoller(poller, logger))
		d.stops = append(d.stops, d.poll)
	}
	return d, nil
}

// stop undoes newDaemon in reverse order. It may be called more than once.
func (d *daemon) stop() {
	if d.closed {
		return
	}
	d.closed = true
	for i := len(d.stops) - 1; i >= 0; i-- {
		d.stops[i]()
	}
}

// Run serves CIP, CIP over TLS and HTTP until ctx ends (a clean stop,
// nil) or one of them fails (that error). Either way it then stops
// accepting, waits up to shutdownGrace for commands in flight, stops the
// web face, the maintenance, the courier and the backups, and closes the
// store, in that order.
func (d *daemon) Run(ctx context.Context, hooks runHooks) error {
	defer d.stop()
	defer spareProc(d.sync)()
	failed := make(chan error, 4)
	var wg sync.WaitGroup
	serve := func(what string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil && !errors.Is(err, cipmini.ErrServerClosed) {
				failed <- fmt.Errorf("cipmini: %s: %w", what, err)
			}
		}()
	}
	serve("listen", func() error { return d.srv.Serve(d.cip) })
	if d.tls != nil {
		serve("tls_listen", func() error { return d.srv.ServeTLS(d.tls) })
	}
	if d.web != nil {
		d.log.Info("cipmini: http", "http_listen", d.web.Addr().String())
		serve("http_listen", func() error { return d.httpd.Serve(d.web) })
	}
	if d.smtp != nil {
		d.log.Info("cipmini: mail door", "smtp_listen", d.smtp.Addr().String())
		serve("smtp_listen", func() error {
			if err := d.mail.Serve(d.smtp); !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
				return err
			}
			return nil
		})
	}
	d.sec.logStart(d.log, d.cfg, d.tls)
	d.log.Info("cipmini: serving", "server_id", d.cfg.ServerID, "listen", d.cip.Addr().String(),
		"data_dir", d.cfg.DataDir, "sync", d.sync.String(), "gomaxprocs", runtime.GOMAXPROCS(0), "version", versionString())
	if hooks.ready != nil {
		hooks.ready(d.cip.Addr())
	}
	var err error
	select {
	case err = <-failed:
		d.log.Error("cipmini: a listener failed; shutting down", "err", err)
	case <-ctx.Done():
	}
	if hooks.stopping != nil {
		hooks.stopping()
	}
	d.shutdown()
	wg.Wait()
	if err != nil {
		return err
	}
	d.stop()
	if d.dbErr != nil {
		return d.dbErr
	}
	d.log.Info("cipmini: stopped", flashAttrs(d.db)...)
	return nil
}

// shutdown stops the CIP server, waiting up to shutdownGrace for commands
// in flight, then the web face, the IMAP poller (between two messages) and
// the SMTP listener.
func (d *daemon) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := d.srv.Shutdown(ctx); err != nil {
		d.log.Warn("cipmini: shutdown", "err", err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), webShutdownGrace)
	defer wcancel()
	d.httpd.Shutdown(wctx)
	if d.poll != nil {
		d.poll()
	}
	if d.mail != nil {
		d.mail.Shutdown(wctx)
		d.smtp.Close()
	}
	if d.web != nil {
		// Serve may not have begun yet; then it fails at once instead
		// of serving on after the shutdown.
		d.web.Close()
	}
}
