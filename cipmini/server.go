package cipmini

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cipmini/cipmini/cipmini/internal/wire"
)

// DefaultPort is the TCP port cipmini listens on by default. IANA never
// assigned CIP a port; 5229 is unofficial (docs/PROTOCOL.md section 2.1).
const DefaultPort = 5229

// Defaults for the Server's limits (docs/PROTOCOL.md sections 3.7, 5.2 and
// 13.1).
const (
	// DefaultMaxLineLength is the longest line, CRLF included, accepted
	// when no other limit is given.
	DefaultMaxLineLength = wire.DefaultMaxLineLength
	// DefaultMaxDataBytes is the largest data block, after dot-unstuffing
	// and with CRLF line ends, accepted when no other limit is given.
	DefaultMaxDataBytes = wire.DefaultMaxDataBytes

	DefaultMaxConns         = 64
	DefaultReadTimeout      = 5 * time.Minute
	DefaultWriteTimeout     = time.Minute
	DefaultMaxAuthFailures  = 3
	DefaultAuthFailureDelay = time.Second
	// DefaultBusyIdleTimeout is how long a session may wait without
	// sending a command while the server is more than three quarters full.
	DefaultBusyIdleTimeout = 30 * time.Second
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("cipmini: server closed")

// Server serves CIP sessions. Set its fields before calling Serve; they must
// not change afterwards. Serve, Shutdown and Close are safe for concurrent use.
type Server struct {
	// ServerID is the server identifier sent in the greeting
	// ("OK CIP 1.0 <ServerID>"). Required.
	ServerID string
	// Backend carries out SENDEVENT, RSVP and FREEBUSY. Required.
	Backend Backend
	// Auth checks AUTHENTICATE LOGIN. When nil every login fails.
	Auth Authenticator
	// Logger receives connection errors and recovered panics. Default
	// slog.Default().
	Logger *slog.Logger

	// MaxLineLength is the longest line accepted, CRLF included. Default
	// DefaultMaxLineLength (8192).
	MaxLineLength int
	// MaxDataBytes is the largest data block accepted. Default
	// DefaultMaxDataBytes (256 KiB).
	MaxDataBytes int
	// MaxConns is the number of sessions served at once; one more is
	// answered "NO 007" and closed. Default DefaultMaxConns (64).
	MaxConns int
	// ReadTimeout is the time a client has to send one whole line; when it
	// passes the session is closed. Default DefaultReadTimeout (5 minutes).
	ReadTimeout time.Duration
	// WriteTimeout bounds the sending of one answer. Default
	// DefaultWriteTimeout (1 minute).
	WriteTimeout time.Duration
	// MaxAuthFailures is the number of failed logins after which the session
	// is closed. Default DefaultMaxAuthFailures (3).
	MaxAuthFailures int
	// AuthFailureDelay is the wait before a failed login is answered.
	// Default DefaultAuthFailureDelay (1 second); negative means none.
	AuthFailureDelay time.Duration

	// TLSConfig, when set, enables AUTHENTICATE TLS and ServeTLS; it must
	// hold the server's certificate. The Server uses a copy, with TLS 1.2
	// at least. Nil (the default): AUTHENTICATE TLS is answered NO 001.
	TLSConfig *tls.Config
	// PeerTrust, when set with TLSConfig, has clients asked for a
	// certificate: one it accepts authenticates the session as the peer
	// server its DNS name gives; one it refuses fails the handshake, which
	// closes the connection. A client without a certificate stays
	// anonymous, encrypted. Default nil: no certificate is asked for.
	PeerTrust *PeerTrust
	// AllowPlaintextLogin lets AUTHENTICATE LOGIN work on a connection
	// without TLS although TLSConfig is set. Default false: such a LOGIN
	// is answered NO 002 and the password is not looked at. Without
	// TLSConfig, LOGIN always works in the clear.
	AllowPlaintextLogin bool
	// HandshakeTimeout bounds a TLS handshake. Default
	// DefaultHandshakeTimeout (30 seconds).
	HandshakeTimeout time.Duration
	// MaxConnsPerAddr is the number of sessions served at once for one
	// address (an IPv4 address, or an IPv6 /64); one more is answered
	// "NO 007" and closed. Default half of MaxConns (at least 1) but at
	// most DefaultMaxConnsPerAddr (32), so that one address never fills
	// the server; negative means no limit.
	MaxConnsPerAddr int
	// MaxLoginFailuresPerMinute is the failed logins an address may make
	// a minute. Each failure is answered after AuthFailureDelay doubled
	// for each recent failure of that address (at most 16 times); past the
	// limit the address's connections are answered "NO 007" and closed,
	// and its logins refused unchecked, until its count has drained at
	// that rate. Default DefaultMaxLoginFailuresPerMinute (10); negative
	// means no limit.
	MaxLoginFailuresPerMinute int
	// BusyIdleTimeout: when a connection arrives while more than three
	// quarters of MaxConns are in use, sessions that have waited this
	// long without sending a command are answered "NO 007" and closed, to
	// make room. Default DefaultBusyIdleTimeout (30 seconds); negative
	// means never.
	BusyIdleTimeout time.Duration
	// Guard, when set, is the count of failed logins per address that
	// LOGIN shares with other ways in (HTTP Basic, a panel PIN); it then
	// replaces MaxLoginFailuresPerMinute and AuthFailureDelay. Default
	// nil: the Server keeps its own, made from those two fields.
	Guard *LoginGuard

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	sessions  map[*session]struct{}
	active    int
	perAddr   map[netip.Addr]int // sessions per address key, under mu
	refusing  atomic.Int32       // connections being answered NO 007
	failOnce  sync.Once
	ownGuard  *LoginGuard // failed logins per address key, when Guard is nil
	tlsOnce   sync.Once
	tlsCfg    *tls.Config
	closing   atomic.Bool
	done      chan struct{} // closed when the last session ends after closing
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

func (s *Server) maxLine() int  { return orDefault(s.MaxLineLength, DefaultMaxLineLength) }
func (s *Server) maxData() int  { return orDefault(s.MaxDataBytes, DefaultMaxDataBytes) }
func (s *Server) maxConns() int { return orDefault(s.MaxConns, DefaultMaxConns) }
func (s *Server) readTimeout() time.Duration {
	return orDefault(s.ReadTimeout, DefaultReadTimeout)
}
func (s *Server) writeTimeout() time.Duration {
	return orDefault(s.WriteTimeout, DefaultWriteTimeout)
}
func (s *Server) maxAuthFailures() int {
	return orDefault(s.MaxAuthFailures, DefaultMaxAuthFailures)
}
func (s *Server) authFailureDelay() time.Duration {
	return orDefault(s.AuthFailureDelay, DefaultAuthFailureDelay)
}

// ListenAndServe listens on the TCP address addr and serves it. An empty addr
// means ":5229".
func (s *Server) ListenAndServe(addr string) error {
	if addr == "" {
		addr = ":5229"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l and serves each in its own goroutine until l
// fails or the server is shut down, when it returns ErrServerClosed. Serve
// closes l on return.
func (s *Server) Serve(l net.Listener) error {
	return s.serve(l, false)
}

// serve is Serve, with a TLS handshake first on every connection when
// implicitTLS is set.
func (s *Server) serve(l net.Listener, implicitTLS bool) error {
	if s.ServerID == "" || s.Backend == nil {
		return errors.New("cipmini: Server needs a ServerID and a Backend")
	}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()

	var backoff time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logger().Warn("cipmini: accept", "err", err, "retry_in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		s.startSession(conn, implicitTLS)
	}
}

// startSession registers a session for conn and serves it, or turns the
// connection away with NO 007 when the server, or the client's address, is
// full, when the address is blocked after failed logins, or when the server
// is closing.
func (s *Server) startSession(conn net.Conn, implicitTLS bool) {
	key := addrKey(conn.RemoteAddr())
	blocked := s.loginBlocked(key)
	s.mu.Lock()
	full := s.active >= s.maxConns()
	closing := s.closing.Load()
	addrFull := false
	var sess *session
	if !full && !closing && !blocked {
		addrFull = !s.admitAddr(key)
	}
	if !closing && 4*s.active > 3*s.maxConns() {
		s.reapIdle()
	}
	if !full && !closing && !blocked && !addrFull {
		sess = newSession(s, conn)
		sess.addr, sess.implicitTLS = key, implicitTLS
		if s.sessions == nil {
			s.sessions = make(map[*session]struct{})
		}
		s.sessions[sess] = struct{}{}
		s.active++
	}
	s.mu.Unlock()
	if sess == nil {
		text := "Too many connections, try again later"
		switch {
		case closing:
			text = "Server shutting down"
		case blocked:
			text = "Too many failed logins, try again later"
		case addrFull:
			text = "Too many connections from your address, try again later"
		}
		s.turnAway(conn, text, implicitTLS)
		return
	}
	go sess.serve()
}

// refuse sends a NO 007 completion to a connection that is not served.
func (s *Server) refuse(conn net.Conn, text string) {
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	w := bufio.NewWriterSize(conn, 64)
	w.WriteString(NO(CodeTempFailure, text).String() + "\r\n")
	w.Flush()
	conn.Close()
}

// endSession forgets a finished session.
func (s *Server) endSession(sess *session) {
	s.mu.Lock()
	delete(s.sessions, sess)
	s.releaseAddr(sess.addr)
	s.active--
	if s.active == 0 && s.done != nil {
		close(s.done)
		s.done = nil
	}
	s.mu.Unlock()
}

// Shutdown stops the server gracefully: it closes the listeners, answers
// "NO 007 Server shutting down" to sessions waiting for a command and closes
// them, and lets commands in flight finish; each of those sessions is closed
// after its answer. It returns when every session has ended, or with ctx's
// error when ctx ends first, after closing the remaining connections.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for l := range s.listeners {
		l.Close()
	}
	var done chan struct{}
	if s.active > 0 {
		if s.done == nil {
			s.done = make(chan struct{})
		}
		done = s.done
	}
	sessions := make([]*session, 0, len(s.sessions))
	for sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	for _, sess := range sessions {
		sess.wake()
	}
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close closes the listeners and every connection at once, without waiting.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closing.Store(true)
	for l := range s.listeners {
		l.Close()
	}
	for sess := range s.sessions {
		sess.conn.Close()
	}
	s.mu.Unlock()
	return nil
}
