package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"golang.org/x/crypto/bcrypt"
)

// siteCert makes, with `cipmini cert`, a key and a certificate for the
// server id, signed by the CA in caDir; it returns the two paths.
func siteCert(t *testing.T, caDir, outDir, id string) (crt, key string) {
	t.Helper()
	if out, err := runCmd(t, "", "cert", "request", "--server-id", id, "--out", outDir); err != nil {
		t.Fatalf("cert request %s: %v\n%s", id, err, out)
	}
	csr := filepath.Join(outDir, id+".csr")
	if out, err := runCmd(t, "", "cert", "sign", "--ca", caDir, csr); err != nil {
		t.Fatalf("cert sign %s: %v\n%s", id, err, out)
	}
	return filepath.Join(outDir, id+".crt"), filepath.Join(outDir, id+".key")
}

func loadPEMCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// `cipmini cert` makes a site CA, a device key and request, and a
// certificate that chains to the CA for both ends of a TLS connection;
// keys are private to their owner, nothing is overwritten, bad input is
// refused with a reason.
func TestCertCommand(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	if out, err := runCmd(t, "", "cert", "ca", "--out", caDir, "--name", "Acme rooms CA"); err != nil ||
		!strings.Contains(out, "ca.crt") {
		t.Fatalf("cert ca: %v\n%s", err, out)
	}
	crt, key := siteCert(t, caDir, dir, "rooms.acme.example")
	ca, leaf := loadPEMCert(t, filepath.Join(caDir, "ca.crt")), loadPEMCert(t, crt)
	if !ca.IsCA || ca.Subject.CommonName != "Acme rooms CA" {
		t.Fatalf("CA certificate: %+v", ca.Subject)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, u := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "rooms.acme.example", KeyUsages: []x509.ExtKeyUsage{u}}); err != nil {
			t.Fatalf("the signed certificate does not verify for %v: %v", u, err)
		}
	}
	if _, err := tls.LoadX509KeyPair(crt, key); err != nil {
		t.Fatalf("key and certificate do not match: %v", err)
	}
	for _, k := range []string{key, filepath.Join(caDir, "ca.key")} {
		if fi, err := os.Stat(k); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v %v", k, fi.Mode(), err)
		}
	}

	// A request made elsewhere with only a common name (a plain `openssl
	// req`) is signed for that name.
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "b.example"}}, k)
	cnOnly := filepath.Join(dir, "cn.csr")
	os.WriteFile(cnOnly, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), 0o644)
	if out, err := runCmd(t, "", "cert", "sign", "--ca", caDir, "--days", "30", cnOnly); err != nil {
		t.Fatalf("cert sign of a CN-only request: %v\n%s", err, out)
	}
	if c := loadPEMCert(t, filepath.Join(dir, "cn.crt")); len(c.DNSNames) != 1 || c.DNSNames[0] != "b.example" ||
		c.NotAfter.After(time.Now().AddDate(0, 0, 31)) {
		t.Fatalf("CN-only request signed as %v until %v", c.DNSNames, c.NotAfter)
	}

	der, _ = x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{"*.example"}}, k)
	wild := filepath.Join(dir, "wild.csr")
	os.WriteFile(wild, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), 0o644)
	notCSR := filepath.Join(dir, "x.csr")
	os.WriteFile(notCSR, []byte("hello\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"cert", "ca", "--out", caDir}, "exists"},
		{[]string{"cert", "request", "--server-id", "rooms.acme.example", "--out", dir}, "exists"},
		{[]string{"cert", "request", "--server-id", "bad name"}, "not a host name"},
		{[]string{"cert", "sign", "--ca", caDir, wild}, "not a host name"},
		{[]string{"cert", "sign", "--ca", caDir, notCSR}, "no PEM CERTIFICATE REQUEST"},
		{[]string{"cert", "sign", "--ca", dir, "--out", filepath.Join(dir, "y.crt"), cnOnly}, "the CA in"},
		{[]string{"cert", "sign", "--ca", caDir, filepath.Join(dir, "missing.csr")}, "no such file"},
		{[]string{"cert", "frobnicate"}, "unknown command"},
		{[]string{"cert"}, "usage:"},
	} {
		if out, err := runCmd(t, "", c.args...); err == nil || !strings.Contains(out, c.want) {
			t.Errorf("cipmini %s: %v\n%s\nwant %q", strings.Join(c.args, " "), err, out, c.want)
		}
	}
}

var tlsListenRE = regexp.MustCompile(`msg="cipmini: TLS" tls_listen=(\S+)`)

// TLS through the real daemon: cleartext LOGIN is refused; a user logs in
// after AUTHENTICATE TLS and stores an event; the peer b.example, with a
// certificate from the site CA, is authenticated as b.example through
// AUTHENTICATE TLS and through the implicit-TLS port, and may answer for
// b.example's attendees only; a certificate from another CA is refused.
func TestDaemonTLS(t *testing.T) {
	dir := t.TempDir()
	caDir, otherDir := filepath.Join(dir, "ca"), filepath.Join(dir, "other")
	for _, d := range []string{caDir, otherDir} {
		if out, err := runCmd(t, "", "cert", "ca", "--out", d); err != nil {
			t.Fatalf("cert ca: %v\n%s", err, out)
		}
	}
	aCrt, aKey := siteCert(t, caDir, dir, "a.example")
	bCrt, bKey := siteCert(t, caDir, dir, "b.example")
	os.MkdirAll(filepath.Join(dir, "o"), 0o700)
	oCrt, oKey := siteCert(t, otherDir, filepath.Join(dir, "o"), "b.example")
	hash, _ := bcrypt.GenerateFromPassword([]byte("alice-pw"), 4)
	cfgPath := filepath.Join(dir, "a.toml")
	os.WriteFile(cfgPath, []byte(`server_id = "a.example"
tls_cert = "`+aCrt+`"
tls_key = "`+aKey+`"
peer_ca = "`+filepath.Join(caDir, "ca.crt")+`"
tls_listen = "127.0.0.1:0"
[[user]]
name = "alice"
password_hash = "`+string(hash)+`"
[[user]]
name = "room-1"
kind = "room"
`), 0o600)
	out, err := runCmd(t, "", "check", "--config", cfgPath)
	if err != nil || !strings.Contains(out, "TLS: certificate for [a.example]") || strings.Contains(out, "warning") ||
		!strings.Contains(out, "peer CA: 1 CA, 0 pinned") {
		t.Fatalf("check: %v\n%s", err, out)
	}

	d := startDaemon(t, cfgPath, t.TempDir())
	m := tlsListenRE.FindStringSubmatch(d.log.String())
	if m == nil {
		t.Fatalf("no implicit-TLS address logged:\n%s", d.log)
	}
	tlsAddr := m[1]
	if strings.Contains(d.log.String(), "no TLS configured") {
		t.Fatalf("TLS warning with TLS configured:\n%s", d.log)
	}
	caPEM, _ := os.ReadFile(filepath.Join(caDir, "ca.crt"))
	trust, err := cipmini.ParsePeerTrust(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	bCert, err := tls.LoadX509KeyPair(bCrt, bKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	alice := d.client(t)
	r, err := alice.Authenticate(ctx, "alice", "alice-pw")
	if err != nil || r.Completion.OK || r.Completion.Code != cipmini.CodeNotAllowed {
		t.Fatalf("cleartext LOGIN: %v %+v", err, r)
	}
	if err := alice.StartTLS(ctx, trust.ClientConfig("a.example", nil)); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if r, err := alice.Authenticate(ctx, "alice", "alice-pw"); err != nil || r.Err() != nil {
		t.Fatalf("LOGIN over TLS: %v %v", err, r.Err())
	}
	event := "UID: tls-1@a.example\r\nSEQUENCE: 0\r\nDTSTART: 20270301T100000Z\r\nDTEND: 20270301T110000Z\r\n" +
		"ATTENDEE; ROLE=OWNER: alice@a.example\r\nATTENDEE: bob@b.example\r\nATTENDEE: carol@c.example\r\n" +
		"ATTENDEE: room-1@a.example\r\n"
	if r, err := alice.SendEvent(ctx, []byte(event)); err != nil || r.Err() != nil {
		t.Fatalf("SENDEVENT: %v %+v", err, r)
	}

	rsvp := func(c *cipmini.Client, who string) *cipmini.Reply {
		t.Helper()
		r, err := c.RSVP(ctx, []byte("UID: tls-1@a.example\r\nSEQUENCE: 0\r\nATTENDEE; STATUS=ACCEPTED: "+who+"\r\n"))
		if err != nil {
			t.Fatalf("RSVP for %s: %v", who, err)
		}
		return r
	}
	peer := d.client(t)
	if err := peer.StartTLS(ctx, trust.ClientConfig("a.example", &bCert)); err != nil {
		t.Fatalf("StartTLS with b.example's certificate: %v", err)
	}
	if r := rsvp(peer, "bob@b.example"); r.Err() != nil || len(r.Info) == 0 || r.Info[0].String() != "* CONFIRMED bob@b.example" {
		t.Fatalf("b.example's RSVP for bob: %+v", r)
	}
	if r := rsvp(peer, "carol@c.example"); r.Completion.OK || r.Completion.Code != cipmini.CodeNotAllowed {
		t.Fatalf("b.example's RSVP for carol: %+v", r)
	}
	implicit, err := cipmini.DialTLS(ctx, tlsAddr, trust.ClientConfig("a.example", &bCert))
	if err != nil {
		t.Fatalf("implicit TLS: %v", err)
	}
	defer implicit.Close()
	if r := rsvp(implicit, "bob@b.example"); r.Err() != nil {
		t.Fatalf("implicit TLS RSVP for bob: %+v", r)
	}
	if r := rsvp(implicit, "carol@c.example"); r.Completion.Code != cipmini.CodeNotAllowed {
		t.Fatalf("implicit TLS RSVP for carol: %+v", r)
	}

	oCert, err := tls.LoadX509KeyPair(oCrt, oKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.client(t).StartTLS(ctx, trust.ClientConfig("a.example", &oCert)); err == nil {
		t.Fatal("a certificate from another CA was accepted")
	}
	if c, err := cipmini.DialTLS(ctx, tlsAddr, trust.ClientConfig("a.example", &oCert)); err == nil {
		c.Close()
		t.Fatal("implicit TLS: a certificate from another CA was accepted")
	}
	// The daemon's certificate is for a.example only.
	if c, err := cipmini.DialTLS(ctx, tlsAddr, trust.ClientConfig("b.example", nil)); err == nil {
		c.Close()
		t.Fatal("a.example's certificate was accepted for b.example")
	}
	if !strings.Contains(d.log.String(), "peer=b.example") {
		t.Fatalf("certificate login not logged:\n%s", d.log)
	}
}

// Without TLS the daemon warns at start, and LOGIN works in the clear;
// `check` validates the security settings.
func TestDaemonSecuritySettings(t *testing.T) {
	d := startDaemon(t, "", t.TempDir())
	if !strings.Contains(d.log.String(), "no TLS configured") {
		t.Fatalf("no warning without TLS:\n%s", d.log)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r, err := d.client(t).Authenticate(ctx, "alice", "wonderland"); err != nil || r.Err() != nil {
		t.Fatalf("cleartext LOGIN without TLS: %v %v", err, r.Err())
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	for text, want := range map[string]string{
		"tls_cert = \"x.crt\"\n":                                      "tls_cert and tls_key go together",
		"peer_ca = \"ca.crt\"\n":                                      "peer_ca needs tls_cert and tls_key",
		"tls_listen = \":5230\"\n":                                    "tls_listen needs tls_cert and tls_key",
		"max_events_per_hour = -1\n":                                  "max_events_per_hour = -1",
		"tls_cert = \"nope.crt\"\ntls_key = \"k\"\n":                  "nope.crt",
		"max_conns_per_addr = 0\nmax_login_failures_per_minute = 3\n": "unlimited connections per address, 3 failed logins",
	} {
		os.WriteFile(cfg, []byte("server_id = \"r.example\"\n"+text), 0o600)
		out, err := runCmd(t, "", "check", "--config", cfg)
		if !strings.Contains(out, want) || (err == nil) != strings.HasPrefix(want, "unlimited") {
			t.Errorf("check of %q: %v\n%s\nwant %q", text, err, out, want)
		}
	}
}
