package cipmini

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/internal/wire"
)

// whoBackend answers RSVP with who the session is and whether it is
// encrypted: "OK 000 peer b.example tls=true".
type whoBackend struct{ echoBackend }

func (whoBackend) RSVP(ctx context.Context, req *Request) *Reply {
	who := "anonymous"
	switch req.Identity.Kind {
	case User:
		who = "user " + req.Identity.Name
	case Peer:
		who = "peer " + req.Identity.Name
	}
	tls := "tls=false"
	if req.TLS {
		tls = "tls=true"
	}
	return &Reply{Completion: OK(CodeNone, who+" "+tls)}
}

// tlsEnv is a Server with TLS: a certificate for test.example from ca, and
// ca as the peer CA. It serves a cleartext port and an implicit-TLS port.
type tlsEnv struct {
	ca        *testCA
	trust     *PeerTrust // what clients trust: ca
	srv       *Server
	addr      string // cleartext, with AUTHENTICATE TLS
	tlsAddr   string // implicit TLS
	log       *syncBuffer
	serverCrt tls.Certificate
}

func newTLSEnv(t *testing.T, setup func(*Server)) *tlsEnv {
	t.Helper()
	e := &tlsEnv{ca: newTestCA(t, "Test Site CA"), log: &syncBuffer{}}
	e.trust = trustOf(t, e.ca)
	e.serverCrt = e.ca.issue(t, []string{"test.example"}, certOpts{})
	e.srv = &Server{
		Backend:   &whoBackend{},
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{e.serverCrt}},
		PeerTrust: e.trust,
		Logger:    slog.New(slog.NewTextHandler(e.log, nil)),
	}
	if setup != nil {
		setup(e.srv)
	}
	e.addr = startServer(t, e.srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.srv.ServeTLS(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.srv.Shutdown(ctx)
		<-done
	})
	e.tlsAddr = l.Addr().String()
	return e
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial connects in the clear.
func (e *tlsEnv) dial(t *testing.T) *Client {
	t.Helper()
	c, err := Dial(testCtx(t), e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// who sends an RSVP and returns the completion's text.
func who(t *testing.T, c *Client) string {
	t.Helper()
	r, err := c.RSVP(testCtx(t), []byte("UID: 1@test.example\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return r.Completion.Text
}

// A peer whose certificate comes from the configured CA is authenticated as
// the server id in its DNS name, through AUTHENTICATE TLS and through the
// implicit-TLS port; the earlier identity is forgotten.
func TestTLSPeerAuthenticated(t *testing.T) {
	e := newTLSEnv(t, func(s *Server) { s.AllowPlaintextLogin = true })
	peer := e.ca.issue(t, []string{"b.example", "cip.b.example"}, certOpts{})
	cfg := e.trust.ClientConfig("test.example", &peer)

	c := e.dial(t)
	if r, err := c.Authenticate(testCtx(t), "bill", "aardvark"); err != nil || r.Err() != nil {
		t.Fatalf("login: %v %v", err, r)
	}
	if got := who(t, c); got != "user bill@test.example tls=false" {
		t.Fatalf("before TLS: %q", got)
	}
	if err := c.StartTLS(testCtx(t), cfg); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if cs, ok := c.TLS(); !ok || cs.Version < tls.VersionTLS12 {
		t.Fatalf("TLS state %v %x", ok, cs.Version)
	}
	if got := who(t, c); got != "peer b.example tls=true" {
		t.Fatalf("after AUTHENTICATE TLS: %q", got)
	}
	if err := c.StartTLS(testCtx(t), cfg); err == nil {
		t.Fatal("a second StartTLS succeeded")
	}

	ic, err := DialTLS(testCtx(t), e.tlsAddr, cfg)
	if err != nil {
		t.Fatalf("DialTLS: %v", err)
	}
	defer ic.Close()
	if ic.ServerID() != "test.example" {
		t.Fatalf("greeting over TLS names %q", ic.ServerID())
	}
	if got := who(t, ic); got != "peer b.example tls=true" {
		t.Fatalf("implicit TLS: %q", got)
	}
	// A client without a certificate is encrypted and anonymous, and may
	// log in.
	anon, err := DialTLS(testCtx(t), e.tlsAddr, e.trust.ClientConfig("test.example", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	if got := who(t, anon); got != "anonymous tls=true" {
		t.Fatalf("no client certificate: %q", got)
	}
	if r, err := anon.Authenticate(testCtx(t), "bill", "aardvark"); err != nil || r.Err() != nil {
		t.Fatalf("login over TLS: %v %v", err, r)
	}
	if got := who(t, anon); got != "user bill@test.example tls=true" {
		t.Fatalf("login over TLS: %q", got)
	}
}

// Certificates from another CA, expired or not yet valid, naming no server
// id, or not meant for client authentication are refused: the handshake
// fails and the connection is closed, on both ports. The server stays fine.
func TestTLSPeerRefused(t *testing.T) {
	e := newTLSEnv(t, nil)
	other := newTestCA(t, "Other CA")
	cases := []struct {
		name, why string // why: what the server logs
		crt       tls.Certificate
	}{
		{"another CA", "unknown authority", other.issue(t, []string{"b.example"}, certOpts{})},
		{"expired", "expired or is not yet valid", e.ca.issue(t, []string{"b.example"},
			certOpts{notBefore: time.Now().AddDate(-1, 0, 0), notAfter: time.Now().Add(-time.Minute)})},
		{"not yet valid", "expired or is not yet valid", e.ca.issue(t, []string{"b.example"}, certOpts{notBefore: time.Now().Add(time.Hour)})},
		{"no DNS name", "names no server id", e.ca.issue(t, nil, certOpts{ips: []net.IP{net.IPv4(127, 0, 0, 1)}})},
		{"wildcard only", "names no server id", e.ca.issue(t, []string{"*.b.example"}, certOpts{})},
		{"server-only", "incompatible key usage", e.ca.issue(t, []string{"b.example"},
			certOpts{usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})},
		{"self-signed", "unknown authority", (*testCA)(nil).issue(t, []string{"b.example"}, certOpts{})},
		{"signed by a leaf", "unknown authority", issueBy(t, e.ca.issue(t, []string{"x.example"}, certOpts{}), []string{"b.example"})},
	}
	for _, tc := range cases {
		crt := tc.crt
		t.Run(tc.name, func(t *testing.T) {
			logStart := len(e.log.String())
			cfg := e.trust.ClientConfig("test.example", &crt)
			c := e.dial(t)
			err := c.StartTLS(testCtx(t), cfg)
			if err == nil {
				t.Fatalf("AUTHENTICATE TLS accepted the certificate; the session is %q", who(t, c))
			}
			t.Log("AUTHENTICATE TLS:", err)
			ic, err := DialTLS(testCtx(t), e.tlsAddr, cfg)
			if err == nil {
				ic.Close()
				t.Fatal("implicit TLS accepted the certificate")
			}
			t.Log("implicit TLS:", err)
			// The server logs after its alert has gone out: wait for it.
			deadline := time.Now().Add(5 * time.Second)
			for {
				logged := e.log.String()[logStart:]
				if strings.Count(logged, "TLS handshake failed") == 2 && strings.Count(logged, tc.why) == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the server logged, want two refusals for %q:\n%s", tc.why, logged)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	good := e.ca.issue(t, []string{"b.example"}, certOpts{})
	c := e.dial(t)
	if err := c.StartTLS(testCtx(t), e.trust.ClientConfig("test.example", &good)); err != nil || who(t, c) != "peer b.example tls=true" {
		t.Fatalf("a good certificate after the refusals: %v", err)
	}
}

// The client checks the server's certificate against the server id it
// dialled: a certificate for another name, or from a CA it does not trust,
// is refused; a configuration without a server name is refused before
// anything is sent.
func TestTLSServerChecked(t *testing.T) {
	e := newTLSEnv(t, nil)
	c := e.dial(t)
	if err := c.StartTLS(testCtx(t), e.trust.ClientConfig("other.example", nil)); err == nil ||
		!strings.Contains(err.Error(), "other.example") {
		t.Fatalf("server certificate for test.example accepted for other.example: %v", err)
	}
	if _, err := DialTLS(testCtx(t), e.tlsAddr, e.trust.ClientConfig("other.example", nil)); err == nil {
		t.Fatal("implicit TLS: certificate for another name accepted")
	}
	stranger := trustOf(t, newTestCA(t, "Stranger CA"))
	if _, err := DialTLS(testCtx(t), e.tlsAddr, stranger.ClientConfig("test.example", nil)); err == nil {
		t.Fatal("a server certificate from an untrusted CA was accepted")
	}
	c = e.dial(t)
	if err := c.StartTLS(testCtx(t), &tls.Config{InsecureSkipVerify: true}); !errors.Is(err, errNoServerName) {
		t.Fatalf("StartTLS without ServerName: %v", err)
	}
	if _, err := DialTLS(testCtx(t), e.tlsAddr, &tls.Config{}); !errors.Is(err, errNoServerName) {
		t.Fatalf("DialTLS without ServerName: %v", err)
	}
	// crypto/tls's own checks work as well, with the CA as RootCAs.
	pool := x509.NewCertPool()
	pool.AddCert(e.ca.cert)
	if err := c.StartTLS(testCtx(t), &tls.Config{ServerName: "test.example", RootCAs: pool}); err != nil {
		t.Fatalf("StartTLS with RootCAs: %v", err)
	}
}

// Pinned certificates are trusted as they are, for their own names only:
// not expired, and unable to vouch for others.
func TestTLSPinned(t *testing.T) {
	pinned := (*testCA)(nil).issue(t, []string{"p.example"}, certOpts{})
	expired := (*testCA)(nil).issue(t, []string{"old.example"}, certOpts{notBefore: time.Now().AddDate(-1, 0, 0), notAfter: time.Now().Add(-time.Hour)})
	serverCrt := (*testCA)(nil).issue(t, []string{"test.example"}, certOpts{})
	trust, err := ParsePeerTrust(append(certPEM(pinned.Leaf, expired.Leaf), certPEM(serverCrt.Leaf)...))
	if err != nil || trust.Roots != nil || len(trust.Pinned) != 3 {
		t.Fatalf("ParsePeerTrust: %v %+v", err, trust)
	}
	srv := &Server{Backend: &whoBackend{}, PeerTrust: trust,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{serverCrt}}}
	addr := startServer(t, srv)
	dial := func(crt *tls.Certificate, name string) (*Client, error) {
		c, err := Dial(testCtx(t), addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, c.StartTLS(testCtx(t), trust.ClientConfig(name, crt))
	}
	c, err := dial(&pinned, "test.example")
	if err != nil || who(t, c) != "peer p.example tls=true" {
		t.Fatalf("pinned certificate: %v", err)
	}
	forged := issueBy(t, pinned, []string{"q.example"})
	if _, err := dial(&forged, "test.example"); err == nil {
		t.Fatal("a certificate signed by a pinned leaf was accepted")
	}
	if _, err := dial(&expired, "test.example"); err == nil {
		t.Fatal("an expired pinned certificate was accepted")
	}
	if _, err := dial(nil, "p.example"); err == nil {
		t.Fatal("the server's pinned certificate was accepted for another name")
	}
}

// Cleartext LOGIN is refused with NO 002 when TLS is configured, without
// looking at the password, unless AllowPlaintextLogin is set; AUTHENTICATE
// TLS without TLS configured, or with arguments, is NO 001; bytes pipelined
// after AUTHENTICATE TLS end the session.
func TestTLSCommandRules(t *testing.T) {
	e := newTLSEnv(t, nil)
	c := dialRaw(t, e.addr)
	c.expect("OK CIP 1.0 test.example")
	c.send("AUTHENTICATE LOGIN bill aardvark\r\n")
	c.expect("NO 002 Not allowed")
	c.send("AUTHENTICATE LOGIN bill wrong\r\n")
	c.expect("NO 002 Not allowed")
	c.send("AUTHENTICATE TLS now\r\n")
	c.expect("NO 001 Usage: AUTHENTICATE TLS")
	c.send("AUTHENTICATE KERBEROS_V4\r\n")
	c.expect("NO 001 Unknown authentication mechanism")
	c.send("RSVP +\r\nUID: 1\r\n.\r\n")
	c.expect("OK 000 anonymous tls=false")
	c.send("AUTHENTICATE TLS\r\nNOOP\r\n")
	c.expect("NO 001 Nothing may follow AUTHENTICATE TLS before the handshake")
	c.expectClosed(5 * time.Second)

	// A raw upgrade: no greeting again, and a second AUTHENTICATE TLS is
	// refused inside TLS.
	c = dialRaw(t, e.addr)
	c.expect("OK CIP 1.0 test.example")
	c.send("authenticate tls\r\n")
	c.expect("OK 000 Begin TLS")
	tc := tls.Client(c.conn, e.trust.ClientConfig("test.example", nil))
	c.conn, c.lr = tc, wire.NewLineReader(tc, 1<<20)
	c.send("AUTHENTICATE TLS\r\n")
	c.expect("NO 001 TLS is already active")
	c.send("RSVP +\r\nUID: 1\r\n.\r\n")
	c.expect("OK 000 anonymous tls=true")

	plain := &Server{Backend: &whoBackend{}}
	c = dialRaw(t, startServer(t, plain))
	c.expect("OK CIP 1.0 test.example")
	c.send("AUTHENTICATE TLS\r\n")
	c.expect("NO 001 TLS is not available")
	c.send("AUTHENTICATE LOGIN bill aardvark\r\n")
	c.expect("OK 000 Login complete")

	allow := newTLSEnv(t, func(s *Server) { s.AllowPlaintextLogin = true })
	c = dialRaw(t, allow.addr)
	c.expect("OK CIP 1.0 test.example")
	c.send("AUTHENTICATE LOGIN bill aardvark\r\n")
	c.expect("OK 000 Login complete")
}

// ServeTLS needs a TLSConfig.
func TestServeTLSNeedsConfig(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{ServerID: "x", Backend: &echoBackend{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := srv.ServeTLS(l); err == nil || !strings.Contains(err.Error(), "TLSConfig") {
		t.Fatalf("ServeTLS without TLSConfig: %v", err)
	}
}
