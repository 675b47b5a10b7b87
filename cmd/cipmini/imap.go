package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/imip"
)

// IMAPConfig is the mail door's IMAP half (docs/PROTOCOL.md section 16.6):
// a mailbox polled over TLS instead of, or beside, the SMTP listener. Its
// keys sit at the top level.
type IMAPConfig struct {
	// IMAPServer is the host:port polled ("" for none, the default):
	// TLS from the start, or STARTTLS with IMAPStartTLS. The certificate
	// is checked against the system's roots, or IMAPCA (a PEM file).
	IMAPServer   string `toml:"imap_server"`
	IMAPStartTLS bool   `toml:"imap_starttls"`
	IMAPCA       string `toml:"imap_ca"`
	IMAPUsername string `toml:"imap_username"`
	IMAPPassword string `toml:"imap_password"`
	// IMAPFolder is polled (default INBOX); handled messages move to
	// IMAPDoneFolder (default "cipmini-done"); IMAPPoll is the interval
	// (default 1m).
	IMAPFolder     string `toml:"imap_folder"`
	IMAPDoneFolder string `toml:"imap_done_folder"`
	IMAPPoll       string `toml:"imap_poll"`
}

// checkIMAP checks the IMAP settings.
func (c *Config) checkIMAP() error {
	if c.IMAPServer == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.IMAPServer); err != nil {
		return fmt.Errorf("imap_server = %q: want host:port", c.IMAPServer)
	}
	if c.IMAPUsername == "" || c.IMAPPassword == "" {
		return errors.New("imap_server needs imap_username and imap_password")
	}
	if _, err := c.imapPoll(); err != nil {
		return err
	}
	return nil
}

// imapPoll is the polling interval.
func (c *Config) imapPoll() (time.Duration, error) {
	if c.IMAPPoll == "" {
		return imip.DefaultPollInterval, nil
	}
	d, err := time.ParseDuration(c.IMAPPoll)
	if err != nil || d < 100*time.Millisecond {
		return 0, fmt.Errorf("imap_poll = %q: want a duration of 100ms or more", c.IMAPPoll)
	}
	return d, nil
}

// newPoller returns the IMAP poller over backend, or nil without
// imap_server.
func (c *Config) newPoller(backend cipmini.Backend, dir *directory.Directory, log *slog.Logger) (*imip.Poller, error) {
	if c.IMAPServer == "" {
		return nil, nil
	}
	if err := c.checkIMAP(); err != nil {
		return nil, fmt.Errorf("cipmini: %w", err)
	}
	users, err := c.mailUsers(dir)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.IMAPCA != "" {
		b, err := os.ReadFile(c.IMAPCA)
		if err != nil {
			return nil, fmt.Errorf("cipmini: imap_ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("cipmini: imap_ca %s: no PEM certificate", c.IMAPCA)
		}
	}
	interval, _ := c.imapPoll()
	door := &imip.Door{Backend: backend, ServerID: c.ServerID, Users: users,
		RequireAuth: c.IMIPRequireAuth, AuthServID: c.IMIPAuthServID, Log: log}
	return &imip.Poller{Door: door, Addr: c.IMAPServer, StartTLS: c.IMAPStartTLS, TLS: cfg,
		Username: c.IMAPUsername, Password: c.IMAPPassword, Folder: c.IMAPFolder,
		DoneFolder: c.IMAPDoneFolder, Interval: interval}, nil
}

// startPoller runs p until the returned stop is called; stop waits for the
// poll in flight to end between two messages.
func startPoller(p *imip.Poller, log *slog.Logger) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.Run(ctx)
	}()
	log.Info("cipmini: mail door", "imap_server", p.Addr, "imap_folder", p.Folder, "imap_poll", p.Interval.String())
	return func() {
		cancel()
		wg.Wait()
	}
}
