package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/cipmini/cipmini/cipmini"
)

// defaultTLSListen is where implicit TLS is served when TLS is configured
// and tls_listen is not set.
const defaultTLSListen = ":5230"

// expirySoon is how early a certificate about to expire is warned about.
const expirySoon = 30 * 24 * time.Hour

// security is the TLS part of a configuration, with its files read.
type security struct {
	cert      *tls.Certificate   // this server's; nil when TLS is not configured
	trust     *cipmini.PeerTrust // peer_ca; nil when not set
	tlsListen string             // implicit-TLS address; "" for none
}

// checkSecurity checks the security settings without reading files.
func (c *Config) checkSecurity() error {
	switch {
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("tls_cert and tls_key go together")
	case c.TLSCert == "" && c.PeerCA != "":
		return errors.New("peer_ca needs tls_cert and tls_key")
	case c.TLSCert == "" && c.TLSListen != nil && *c.TLSListen != "":
		return errors.New("tls_listen needs tls_cert and tls_key")
	}
	for key, v := range map[string]*int{
		"max_conns_per_addr":            c.MaxConnsPerAddr,
		"max_login_failures_per_minute": c.MaxLoginFailuresPerMinute,
		"max_events_per_hour":           c.MaxEventsPerHour,
	} {
		if v != nil && *v < 0 {
			return fmt.Errorf("%s = %d: want 0 (no limit) or more", key, *v)
		}
	}
	return nil
}

// loadSecurity reads the certificate, key and peer CA files.
func (c *Config) loadSecurity() (*security, error) {
	if err := c.checkSecurity(); err != nil {
		return nil, fmt.Errorf("cipmini: %w", err)
	}
	sec := &security{}
	if c.TLSCert == "" {
		return sec, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("cipmini: tls_cert %s, tls_key %s: %w", c.TLSCert, c.TLSKey, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("cipmini: tls_cert %s: %w", c.TLSCert, err)
		}
	}
	sec.cert = &cert
	if c.PeerCA != "" {
		b, err := os.ReadFile(c.PeerCA)
		if err != nil {
			return nil, fmt.Errorf("cipmini: peer_ca: %w", err)
		}
		if sec.trust, err = cipmini.ParsePeerTrust(b); err != nil {
			return nil, fmt.Errorf("cipmini: peer_ca %s: %w", c.PeerCA, err)
		}
	}
	sec.tlsListen = defaultTLSListen
	if c.TLSListen != nil {
		sec.tlsListen = *c.TLSListen
	}
	return sec, nil
}

// limit maps a limit setting, int or int64, to the engine's convention:
// unset is the default (0), 0 is no limit (-1).
func limit[T int | int64](v *T) T {
	switch {
	case v == nil:
		return 0
	case *v == 0:
		return -1
	}
	return *v
}

// applySecurity sets the Server's TLS and per-address limits.
func (c *Config) applySecurity(srv *cipmini.Server, sec *security) {
	if sec.cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*sec.cert}, MinVersion: tls.VersionTLS12}
		srv.PeerTrust = sec.trust
	}
	srv.AllowPlaintextLogin = c.AllowPlaintextLogin
	srv.MaxConnsPerAddr = limit(c.MaxConnsPerAddr)
	srv.MaxLoginFailuresPerMinute = limit(c.MaxLoginFailuresPerMinute)
}

// rateLimit is the cap of max_events_per_hour and max_bytes_per_hour, as
// a Middleware.
func (c *Config) rateLimit() cipmini.Middleware {
	rl := &cipmini.RateLimit{EventsPerHour: limit(c.MaxEventsPerHour), BytesPerHour: limit(c.MaxBytesPerHour)}
	return rl.Middleware
}

// clientConfig is the TLS configuration for dialling the peer serverID:
// this server's certificate, and the peer's checked against peer_ca and
// serverID. It is nil when TLS or peer_ca is not configured.
func (sec *security) clientConfig(serverID string) *tls.Config {
	if sec.cert == nil || sec.trust == nil {
		return nil
	}
	return sec.trust.ClientConfig(serverID, sec.cert)
}

// warnings lists what an operator should know about the security settings.
func (sec *security) warnings(c *Config) []string {
	var w []string
	if sec.cert == nil {
		return append(w, "no TLS configured: AUTHENTICATE LOGIN passwords cross the network in the clear")
	}
	leaf := sec.cert.Leaf
	if err := leaf.VerifyHostname(c.ServerID); err != nil {
		w = append(w, fmt.Sprintf("tls_cert does not name server_id %s: peers will refuse it", c.ServerID))
	}
	switch now := time.Now(); {
	case now.After(leaf.NotAfter):
		w = append(w, "tls_cert expired on "+leaf.NotAfter.Format(time.DateOnly))
	case now.Add(expirySoon).After(leaf.NotAfter):
		w = append(w, "tls_cert expires on "+leaf.NotAfter.Format(time.DateOnly))
	}
	if fi, err := os.Stat(c.TLSKey); err == nil && fi.Mode().Perm()&0o077 != 0 {
		w = append(w, fmt.Sprintf("tls_key %s can be read by others (mode %o): chmod 600 it", c.TLSKey, fi.Mode().Perm()))
	}
	if sec.trust == nil {
		w = append(w, "no peer_ca: peers cannot authenticate with certificates")
	}
	if c.AllowPlaintextLogin {
		w = append(w, "allow_plaintext_login: AUTHENTICATE LOGIN passwords may cross the network in the clear")
	}
	return w
}

// logStart logs the security settings when the server starts.
func (sec *security) logStart(log *slog.Logger, c *Config, tl net.Listener) {
	for _, w := range sec.warnings(c) {
		log.Warn("cipmini: " + w)
	}
	if sec.cert != nil {
		tlsListen := "none"
		if tl != nil {
			tlsListen = tl.Addr().String()
		}
		log.Info("cipmini: TLS", "tls_listen", tlsListen, "certificate", sec.cert.Leaf.DNSNames,
			"expires", sec.cert.Leaf.NotAfter.Format(time.DateOnly), "peer_ca", c.PeerCA != "")
	}
}

// describeSecurity is `cipmini check`'s account of the security settings.
func describeSecurity(w io.Writer, c *Config, sec *security) {
	if sec.cert != nil {
		listen := sec.tlsListen
		if listen == "" {
			listen = "none"
		}
		roots, pinned := 0, 0
		if sec.trust != nil {
			pinned = len(sec.trust.Pinned)
			if sec.trust.Roots != nil {
				roots = len(sec.trust.Roots.Subjects())
			}
		}
		fmt.Fprintf(w, "TLS: certificate for %v until %s; implicit TLS %s; peer CA: %d CA, %d pinned\n",
			sec.cert.Leaf.DNSNames, sec.cert.Leaf.NotAfter.Format(time.DateOnly), listen, roots, pinned)
	}
	fmt.Fprintf(w, "limits: %s connections per address, %s failed logins per minute, %s events per hour per client\n",
		limitText(c.MaxConnsPerAddr, max(orDefaultConns(c.MaxConns)/2, 1)),
		limitText(c.MaxLoginFailuresPerMinute, cipmini.DefaultMaxLoginFailuresPerMinute),
		limitText(c.MaxEventsPerHour, cipmini.DefaultEventsPerHour))
	for _, s := range sec.warnings(c) {
		fmt.Fprintln(w, "warning: "+s)
	}
}

// limitText is a limit setting's value in force: def when unset,
// "unlimited" for none.
func limitText[T int | int64](v *T, def T) string {
	switch n := limit(v); {
	case n == 0:
		return fmt.Sprint(def)
	case n < 0:
		return "unlimited"
	default:
		return fmt.Sprint(n)
	}
}
