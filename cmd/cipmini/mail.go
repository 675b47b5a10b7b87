package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/imip"
)

// MailConfig is the mail door's part of the configuration (README, The mail
// door; docs/PROTOCOL.md section 16). Its keys sit at the top level.
type MailConfig struct {
	// SMTPListen is the address of the SMTP listener ("" for none, the
	// default); SMTPAcceptFrom the relays' addresses or networks that may
	// connect (default: loopback only).
	SMTPListen     string   `toml:"smtp_listen"`
	SMTPAcceptFrom []string `toml:"smtp_accept_from"`
	// IMIPRequireAuth demands an Authentication-Results header of
	// IMIPAuthServID (the relay's authserv-id) passing DKIM or SPF for the
	// From address (default false).
	IMIPRequireAuth bool   `toml:"imip_require_auth"`
	IMIPAuthServID  string `toml:"imip_authserv_id"`
	// SMTPRelay is the host:port REPLYs are sent through ("" for none:
	// they fail in the queue); SMTPFrom their sender (default
	// "cipmini@" and the server id); SMTPUsername and SMTPPassword log in
	// with AUTH PLAIN after STARTTLS.
	SMTPRelay    string `toml:"smtp_relay"`
	SMTPFrom     string `toml:"smtp_from"`
	SMTPUsername string `toml:"smtp_username"`
	SMTPPassword string `toml:"smtp_password"`
}

// checkMail checks the mail door's settings.
func (c *Config) checkMail() error {
	if _, err := imip.ParseAcceptFrom(c.SMTPAcceptFrom); err != nil {
		return err
	}
	if c.IMIPRequireAuth && c.IMIPAuthServID == "" {
		return errors.New("imip_require_auth needs imip_authserv_id, the relay's name in Authentication-Results")
	}
	if c.SMTPRelay != "" {
		if _, _, err := net.SplitHostPort(c.SMTPRelay); err != nil {
			return fmt.Errorf("smtp_relay = %q: want host:port", c.SMTPRelay)
		}
	}
	if (c.SMTPUsername == "") != (c.SMTPPassword == "") {
		return errors.New("smtp_username and smtp_password go together")
	}
	_, err := c.mailUsers(directory.NewDirectory(c.ServerID, c.Aliases...))
	return err
}

// mailUsers maps every email of every [[user]], in lower case, to its user
// id. An address given twice is an error.
func (c *Config) mailUsers(d *directory.Directory) (map[string]string, error) {
	m := map[string]string{}
	for _, u := range c.Users {
		for _, e := range u.Email {
			e = strings.ToLower(strings.TrimSpace(e))
			if !strings.Contains(e, "@") {
				return nil, fmt.Errorf("user %s: email %q: want an address", u.Name, e)
			}
			if prev, ok := m[e]; ok {
				return nil, fmt.Errorf("user %s: email %s is also %s's", u.Name, e, prev)
			}
			m[e] = d.UserID(u.Name)
		}
	}
	return m, nil
}

// smtpFrom is the sender of REPLYs.
func (c *Config) smtpFrom() string {
	if c.SMTPFrom != "" {
		return c.SMTPFrom
	}
	return "cipmini@" + c.ServerID
}

// newMailServer returns the mail door's listener over backend, with
// STARTTLS when the server has a certificate.
func (c *Config) newMailServer(backend cipmini.Backend, dir *directory.Directory, sec *security, log *slog.Logger) (*imip.Server, error) {
	users, err := c.mailUsers(dir)
	if err != nil {
		return nil, err
	}
	accept, err := imip.ParseAcceptFrom(c.SMTPAcceptFrom)
	if err != nil {
		return nil, err
	}
	door := &imip.Door{Backend: backend, ServerID: c.ServerID, Users: users,
		RequireAuth: c.IMIPRequireAuth, AuthServID: c.IMIPAuthServID, Log: log}
	s := &imip.Server{Door: door, AcceptFrom: accept}
	if sec.cert != nil {
		s.TLS = &tls.Config{Certificates: []tls.Certificate{*sec.cert}, MinVersion: tls.VersionTLS12}
	}
	return s, nil
}

// mailRelay returns the sender of REPLYs, or nil without smtp_relay.
func (c *Config) mailRelay() *imip.Relay {
	if c.SMTPRelay == "" {
		return nil
	}
	return &imip.Relay{Addr: c.SMTPRelay, From: c.smtpFrom(), Username: c.SMTPUsername,
		Password: c.SMTPPassword, ServerID: c.ServerID}
}
