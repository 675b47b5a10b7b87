package cipmini

import (
	"crypto/tls"
	"errors"
	"net"
	"time"

	"github.com/cipmini/cipmini/cipmini/internal/wire"
)

// DefaultHandshakeTimeout bounds a TLS handshake when Server.HandshakeTimeout
// is not set.
const DefaultHandshakeTimeout = 30 * time.Second

// DefaultTLSPort is the port of the implicit-TLS listener (docs/PROTOCOL.md
// section 12.2).
const DefaultTLSPort = 5230

func (s *Server) handshakeTimeout() time.Duration {
	return orDefault(s.HandshakeTimeout, DefaultHandshakeTimeout)
}

// ListenAndServeTLS listens on the TCP address addr and serves it with
// implicit TLS (ServeTLS). An empty addr means ":5230".
func (s *Server) ListenAndServeTLS(addr string) error {
	if addr == "" {
		addr = ":5230"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.ServeTLS(l)
}

// ServeTLS is Serve for a listener whose connections start with a TLS
// handshake (implicit TLS, docs/PROTOCOL.md section 12.2): the greeting and
// everything after it is encrypted, and a client certificate that PeerTrust
// accepts authenticates the session at once, as AUTHENTICATE TLS does. It
// needs TLSConfig. A connection that cannot be served (limits, shutdown) is
// closed without an answer, since an answer would need a handshake first.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.TLSConfig == nil {
		l.Close()
		return errors.New("cipmini: ServeTLS needs a TLSConfig")
	}
	return s.serve(l, true)
}

// tlsConfig returns the configuration the server's handshakes use: a copy of
// TLSConfig with TLS 1.2 at least and, when PeerTrust is set, a client
// certificate asked for and checked by PeerTrust (on resumed sessions too).
// It is built once.
func (s *Server) tlsConfig() *tls.Config {
	s.tlsOnce.Do(func() {
		cfg := s.TLSConfig.Clone()
		if cfg.MinVersion < tls.VersionTLS12 {
			cfg.MinVersion = tls.VersionTLS12
		}
		if trust := s.PeerTrust; trust != nil {
			cfg.ClientAuth = tls.RequestClientCert
			next := cfg.VerifyConnection
			cfg.VerifyConnection = func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) > 0 {
					if _, err := trust.VerifyClient(cs.PeerCertificates); err != nil {
						return err
					}
				}
				if next != nil {
					return next(cs)
				}
				return nil
			}
		}
		s.tlsCfg = cfg
	})
	return s.tlsCfg
}

// tlsIdentity is who a finished handshake says the client is: the peer its
// certificate names when PeerTrust accepted one, else anonymous.
func (s *Server) tlsIdentity(cs tls.ConnectionState) Identity {
	if s.PeerTrust == nil || len(cs.PeerCertificates) == 0 {
		return Identity{}
	}
	// The certificate was verified during the handshake; this only reads
	// the name again.
	id, err := certServerID(cs.PeerCertificates[0])
	if err != nil {
		return Identity{}
	}
	return Identity{Kind: Peer, Name: id}
}

// startTLS carries out AUTHENTICATE TLS (docs/PROTOCOL.md section 12.1):
// "OK 000 Begin TLS", then the handshake on the same connection. Any earlier
// identity is forgotten and no greeting is sent again. Bytes the client sent
// after the command, before the handshake, are an error that ends the
// session, as with SMTP's STARTTLS: they would otherwise be taken as sent
// under TLS.
func (s *session) startTLS(cmd *wire.Command) error {
	switch {
	case s.srv.TLSConfig == nil:
		return s.complete(NO(CodeInvalid, "TLS is not available"))
	case s.tlsConn != nil:
		return s.complete(NO(CodeInvalid, "TLS is already active"))
	case cmd.NArgs != 1 || cmd.Extra:
		return s.complete(NO(CodeInvalid, "Usage: AUTHENTICATE TLS"))
	}
	s.id = Identity{}
	if s.lr.Buffered() > 0 {
		s.log.Info("cipmini: data pipelined after AUTHENTICATE TLS, closing")
		s.complete(NO(CodeInvalid, "Nothing may follow AUTHENTICATE TLS before the handshake"))
		return errEndSession
	}
	if err := s.complete(OK(CodeNone, "Begin TLS")); err != nil {
		return err
	}
	return s.handshake()
}

// handshake runs the server side of a TLS handshake on the session's
// connection, within HandshakeTimeout, and moves the session's reader and
// writer onto it. The session takes the identity the client certificate
// gives. A failure is logged and ends the session.
func (s *session) handshake() error {
	tc := tls.Server(s.conn, s.srv.tlsConfig())
	s.conn.SetDeadline(time.Now().Add(s.srv.handshakeTimeout()))
	err := tc.HandshakeContext(s.ctx)
	s.conn.SetDeadline(time.Time{})
	if err != nil {
		s.log.Info("cipmini: TLS handshake failed", "err", err)
		return errEndSession
	}
	s.tlsConn = tc
	s.lr.Reset(tc)
	s.w.Reset(tc)
	cs := tc.ConnectionState()
	s.id = s.srv.tlsIdentity(cs)
	if s.id.Kind == Peer {
		s.log.Info("cipmini: peer authenticated by certificate", "peer", s.id.Name,
			"tls", tls.VersionName(cs.Version))
	}
	return nil
}

// closeConn closes the connection, with a TLS close_notify when TLS is on.
func (s *session) closeConn() {
	if s.tlsConn != nil {
		s.conn.SetWriteDeadline(time.Now().Add(time.Second))
		s.tlsConn.Close()
		return
	}
	s.conn.Close()
}
