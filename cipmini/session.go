package cipmini

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cipmini/cipmini/cipmini/internal/wire"
)

// keepDataCap is the largest data buffer a session keeps between commands;
// a larger one is released so that an idle session holds little memory.
const keepDataCap = 64 << 10

// errEndSession tells the command loop to close the connection.
var errEndSession = errors.New("cipmini: end of session")

// session is one client connection.
type session struct {
	srv  *Server
	conn net.Conn
	lr   *wire.LineReader
	w    *bufio.Writer
	log  *slog.Logger
	ctx  context.Context
	stop context.CancelFunc

	addr        netip.Addr // key of the per-address limits
	implicitTLS bool       // the handshake comes before the greeting
	tlsConn     *tls.Conn  // set once TLS is on; conn stays the raw one

	id           Identity
	authFailures int
	data         []byte
	cmd          wire.Command

	mu        sync.Mutex // guards idle, idleSince and reaped, against Shutdown's wake and reapIdle
	idle      bool
	idleSince time.Time // when the session began to wait for this command
	reaped    bool      // closed by reapIdle to make room
}

func newSession(srv *Server, conn net.Conn) *session {
	ctx, stop := context.WithCancel(context.Background())
	return &session{
		srv:  srv,
		conn: conn,
		lr:   wire.NewLineReader(conn, srv.maxLine()),
		w:    bufio.NewWriterSize(conn, 4096),
		log:  srv.logger().With("remote", conn.RemoteAddr().String()),
		ctx:  ctx,
		stop: stop,
	}
}

// wake interrupts a session that is waiting for a command line, so that it
// sees the server closing; a session in the middle of a command is left alone.
func (s *session) wake() {
	s.mu.Lock()
	if s.idle {
		s.conn.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
}

func (s *session) serve() {
	defer s.srv.endSession(s)
	defer s.closeConn()
	defer s.stop()
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("cipmini: panic in session", "panic", v, "stack", string(debug.Stack()))
			s.complete(NO(CodeTempFailure, "Internal error"))
		}
	}()
	if s.implicitTLS && s.handshake() != nil {
		return
	}
	if s.writeLine("OK CIP 1.0 "+s.srv.ServerID) != nil {
		return
	}
	for {
		line, err := s.readCommandLine()
		if err != nil {
			return
		}
		if s.handle(line) != nil {
			return
		}
	}
}

// readCommandLine waits for the next command line. Errors other than an
// over-long line end the session, after a NO 007 where the client should hear
// why (shutdown, idle timeout).
func (s *session) readCommandLine() ([]byte, error) {
	s.mu.Lock()
	s.idleSince = time.Now()
	s.mu.Unlock()
	for {
		s.mu.Lock()
		if s.srv.closing.Load() {
			s.mu.Unlock()
			s.complete(NO(CodeTempFailure, "Server shutting down"))
			return nil, errEndSession
		}
		s.idle = true
		s.conn.SetReadDeadline(time.Now().Add(s.srv.readTimeout()))
		s.mu.Unlock()

		line, err := s.lr.ReadLine()

		s.mu.Lock()
		s.idle = false
		s.mu.Unlock()
		switch {
		case err == nil:
			return line, nil
		case err == wire.ErrLineTooLong:
			if s.complete(NO(CodeTooLarge, "Line too long")) != nil {
				return nil, errEndSession
			}
		case isTimeout(err):
			s.mu.Lock()
			reaped := s.reaped
			s.mu.Unlock()
			if s.srv.closing.Load() {
				s.complete(NO(CodeTempFailure, "Server shutting down"))
			} else if reaped {
				s.log.Info("cipmini: idle session closed: the server is busy")
				s.complete(NO(CodeTempFailure, "Idle while the server is busy, closing"))
			} else {
				s.complete(NO(CodeTempFailure, "Idle timeout, closing"))
			}
			return nil, errEndSession
		default:
			if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, net.ErrClosed) {
				s.log.Debug("cipmini: read", "err", err)
			}
			return nil, errEndSession
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// handle carries out one command line. A non-nil error ends the session.
func (s *session) handle(line []byte) error {
	cmd := &s.cmd
	err := wire.ParseCommand(line, cmd)
	if err != nil {
		if cmd.Plus {
			// The client sends data after any line ending in "+": read it,
			// so that its lines are not taken for commands.
			if _, derr := s.readData(); derr != nil {
				return keepGoing(derr)
			}
		}
		switch err {
		case wire.ErrEmptyCommand:
			return s.complete(NO(CodeInvalid, "Empty command"))
		case wire.ErrUnknownCommand:
			return s.complete(NO(CodeInvalid, "Unknown command"))
		case wire.ErrMissingPlus:
			return s.complete(NO(CodeInvalid, cmd.Verb.String()+" takes data: end the line with \"+\""))
		default:
			return s.complete(NO(CodeInvalid, "Invalid parameters"))
		}
	}
	switch Verb(cmd.Verb) {
	case VerbNoop:
		return s.complete(OK(CodeNone, ""))
	case VerbQuit:
		s.complete(OK(CodeNone, "Bye"))
		return errEndSession
	case VerbAuthenticate:
		return s.authenticate(cmd)
	}
	data, err := s.readData()
	if err != nil {
		return keepGoing(err)
	}
	req := &Request{Identity: s.id, RemoteAddr: s.conn.RemoteAddr(), TLS: s.tlsConn != nil, Data: data}
	reply, err := s.callBackend(Verb(cmd.Verb), req)
	if cap(s.data) > keepDataCap {
		s.data = nil
	}
	if err != nil {
		s.complete(NO(CodeTempFailure, "Internal error"))
		return err
	}
	return s.writeReply(reply)
}

// readData reads the data block of the current command into s.data. A limit
// breach that leaves the stream in sync is answered here and reported as
// errSkipCommand; any other error ends the session.
func (s *session) readData() ([]byte, error) {
	s.conn.SetReadDeadline(time.Now().Add(s.srv.readTimeout()))
	data, err := wire.ReadDataBlock(s.lr, s.data[:0], s.srv.maxData())
	s.data = data
	switch {
	case err == nil:
		return data, nil
	case err == wire.ErrDataTooLarge:
		return nil, s.limitAnswer("Data too large")
	case err == wire.ErrLineTooLong:
		return nil, s.limitAnswer("Line too long")
	case err == wire.ErrBlockUnbounded:
		s.complete(NO(CodeTooLarge, "Data too large"))
		return nil, errEndSession
	case isTimeout(err):
		s.complete(NO(CodeTempFailure, "Timeout reading data, closing"))
		return nil, errEndSession
	default:
		return nil, errEndSession
	}
}

// limitAnswer answers NO 006 for a data block that broke a limit and returns
// errSkipCommand, so the caller does not go on with the command.
func (s *session) limitAnswer(text string) error {
	if err := s.complete(NO(CodeTooLarge, text)); err != nil {
		return err
	}
	return errSkipCommand
}

// errSkipCommand reports a command already answered; the session goes on.
var errSkipCommand = errors.New("cipmini: command answered")

// keepGoing turns errSkipCommand into nil: the command is over, the session
// is not.
func keepGoing(err error) error {
	if err == errSkipCommand {
		return nil
	}
	return err
}

// callBackend runs a data command, recovering from a panic in the backend.
// A panic is logged with its stack and returned as an error: the session
// answers NO 007 and closes that connection only.
func (s *session) callBackend(verb Verb, req *Request) (reply *Reply, err error) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("cipmini: panic in backend", "command", verb.String(), "panic", v,
				"stack", string(debug.Stack()))
			reply, err = nil, errEndSession
		}
	}()
	reply = Call(s.ctx, s.srv.Backend, verb, req)
	if reply == nil {
		s.log.Error("cipmini: backend returned no reply", "command", verb.String())
		return &Reply{Completion: NO(CodeTempFailure, "Internal error")}, nil
	}
	return reply, nil
}

// authenticate carries out AUTHENTICATE. Any earlier identity is forgotten
// first, so a failed LOGIN leaves the session anonymous.
func (s *session) authenticate(cmd *wire.Command) error {
	if cmd.NArgs == 0 {
		return s.complete(NO(CodeInvalid, "AUTHENTICATE needs a mechanism"))
	}
	if wire.EqualFoldASCII(cmd.Args[0], "TLS") {
		return s.startTLS(cmd)
	}
	if !wire.EqualFoldASCII(cmd.Args[0], "LOGIN") {
		return s.complete(NO(CodeInvalid, "Unknown authentication mechanism"))
	}
	if cmd.NArgs != 3 || cmd.Extra {
		return s.complete(NO(CodeInvalid, "Usage: AUTHENTICATE LOGIN identity password"))
	}
	s.id = Identity{}
	if s.srv.TLSConfig != nil && s.tlsConn == nil && !s.srv.AllowPlaintextLogin {
		// docs/PROTOCOL.md section 4.2: the text of a 002 never says why; the
		// log does.
		s.log.Info("cipmini: cleartext LOGIN refused: TLS is configured (AUTHENTICATE TLS first)")
		return s.complete(NO(CodeNotAllowed, "Not allowed"))
	}
	// The attempt takes its slot of the address's count before the
	// password is looked at, so that parallel LOGINs cannot pass the limit.
	attempt, ok := s.srv.guard().reserve(s.addr, 0)
	if !ok {
		s.complete(NO(CodeNone, "Access denied."))
		return errEndSession
	}
	identity, password := string(cmd.Args[1]), string(cmd.Args[2])
	var id Identity
	err := ErrAuthFailed
	if s.srv.Auth != nil {
		id, err = s.srv.Auth.Login(s.ctx, s.conn.RemoteAddr(), identity, password)
	}
	switch {
	case err == nil:
		attempt.Succeeded()
		s.id = id
		return s.complete(OK(CodeNone, "Login complete"))
	case errors.Is(err, ErrAuthFailed):
		s.authFailures++
		d, blocked := attempt.Failed()
		if blocked {
			s.log.Warn("cipmini: address blocked after too many failed logins", "addr", s.addr.String())
			s.authFailures = s.srv.maxAuthFailures()
		}
		if d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
			}
		}
		if e := s.complete(NO(CodeNone, "Access denied.")); e != nil {
			return e
		}
		if s.authFailures >= s.srv.maxAuthFailures() {
			s.log.Info("cipmini: too many failed logins, closing", "failures", s.authFailures)
			return errEndSession
		}
		return nil
	default:
		attempt.Succeeded() // not the client's failure
		s.log.Error("cipmini: authenticator", "err", err)
		return s.complete(NO(CodeTempFailure, "Temporary failure, try again later"))
	}
}

// writeReply sends a backend's answer: the data block, if any, the
// informational lines, and the completion.
func (s *session) writeReply(r *Reply) error {
	if r.Data != nil {
		s.w.WriteString("+\r\n")
		wire.WriteDataBlock(s.w, r.Data)
	}
	for _, in := range r.Info {
		s.w.WriteString("* ")
		wire.WriteText(s.w, string(in.Code))
		if in.Args != "" {
			s.w.WriteByte(' ')
			wire.WriteText(s.w, in.Args)
		}
		s.w.WriteString("\r\n")
	}
	return s.complete(r.Completion)
}

// complete sends a completion line and flushes everything buffered.
func (s *session) complete(c Completion) error {
	if c.OK {
		s.w.WriteString("OK ")
	} else {
		s.w.WriteString("NO ")
	}
	s.w.WriteString(c.Code.String())
	if c.Text != "" {
		s.w.WriteByte(' ')
		wire.WriteText(s.w, c.Text)
	}
	s.w.WriteString("\r\n")
	return s.flush()
}

// writeLine sends one line as it is and flushes.
func (s *session) writeLine(line string) error {
	wire.WriteText(s.w, line)
	s.w.WriteString("\r\n")
	return s.flush()
}

func (s *session) flush() error {
	s.conn.SetWriteDeadline(time.Now().Add(s.srv.writeTimeout()))
	if err := s.w.Flush(); err != nil {
		s.log.Debug("cipmini: write", "err", err)
		return errEndSession
	}
	return nil
}
