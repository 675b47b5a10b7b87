package cipmini

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// testCA is a certificate authority made for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serialNo atomic.Int64

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sign(t testing.TB, tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, priv *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	tmpl.SerialNumber = big.NewInt(serialNo.Add(1))
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newTestCA makes a CA valid from an hour ago for a year.
func newTestCA(t testing.TB, name string) *testCA {
	k := newKey(t)
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	return &testCA{cert: sign(t, tmpl, tmpl, &k.PublicKey, k), key: k}
}

// certOpts shape a leaf certificate.
type certOpts struct {
	notBefore, notAfter time.Time // default: an hour ago, a year on
	usages              []x509.ExtKeyUsage
	ips                 []net.IP
}

// issue makes a leaf certificate for the DNS names, signed by ca, or
// self-signed when ca is nil.
func (ca *testCA) issue(t testing.TB, names []string, o certOpts) tls.Certificate {
	t.Helper()
	k := newKey(t)
	if o.notBefore.IsZero() {
		o.notBefore = time.Now().Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = time.Now().AddDate(1, 0, 0)
	}
	if o.usages == nil {
		o.usages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "leaf"},
		DNSNames:              names,
		IPAddresses:           o.ips,
		NotBefore:             o.notBefore,
		NotAfter:              o.notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           o.usages,
		BasicConstraintsValid: true,
	}
	var c *x509.Certificate
	if ca == nil {
		c = sign(t, tmpl, tmpl, &k.PublicKey, k)
	} else {
		c = sign(t, tmpl, ca.cert, &k.PublicKey, ca.key)
	}
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: k, Leaf: c}
}

// issueBy signs a certificate for names with a leaf's key, as a pinned peer
// that tries to make certificates for others would.
func issueBy(t testing.TB, signer tls.Certificate, names []string) tls.Certificate {
	t.Helper()
	k := newKey(t)
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "forged"},
		DNSNames:    names,
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	c := sign(t, tmpl, signer.Leaf, &k.PublicKey, signer.PrivateKey.(*ecdsa.PrivateKey))
	return tls.Certificate{Certificate: [][]byte{c.Raw, signer.Leaf.Raw}, PrivateKey: k, Leaf: c}
}

func certPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// trustOf returns a PeerTrust with ca as its only root.
func trustOf(t testing.TB, ca *testCA) *PeerTrust {
	t.Helper()
	pt, err := ParsePeerTrust(certPEM(ca.cert))
	if err != nil {
		t.Fatal(err)
	}
	return pt
}
