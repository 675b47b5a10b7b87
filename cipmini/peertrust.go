package cipmini

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// maxPeerChain bounds the certificates of a chain that PeerTrust looks at:
// the leaf and a few intermediates are plenty for a site CA.
const maxPeerChain = 8

// maxPeerTrustPEM bounds the input of ParsePeerTrust.
const maxPeerTrustPEM = 1 << 20

// PeerTrust says which certificates authenticate CIP servers to each other
// (docs/PROTOCOL.md section 12.3): a certificate issued, directly or through
// intermediates, by one of Roots, and a Pinned certificate, accepted exactly
// as it is. A certificate names its server by its first DNS subject
// alternative name.
//
// Expiry is checked for every certificate; a chain must allow the use it is
// put to (client authentication for a peer logging in, server
// authentication for the server dialled). A PeerTrust must not change once
// in use; then it is safe for concurrent use.
type PeerTrust struct {
	// Roots are the CA certificates trusted to issue peers' certificates.
	// Nil means none.
	Roots *x509.CertPool
	// Pinned are certificates trusted as they are, each for the names in
	// it; they cannot issue others.
	Pinned []*x509.Certificate

	now func() time.Time // tests only; default time.Now
}

// ParsePeerTrust reads PEM certificates (the peer_ca file): CA certificates
// (basic constraints CA:TRUE) become Roots, any other certificate is
// Pinned. Text between PEM blocks is ignored; a PEM block of another type,
// a certificate that does not parse, or no certificate at all is an error.
func ParsePeerTrust(pemData []byte) (*PeerTrust, error) {
	if len(pemData) > maxPeerTrustPEM {
		return nil, errors.New("cipmini: peer CA file over 1 MiB")
	}
	t := &PeerTrust{}
	n := 0
	for rest := pemData; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("cipmini: peer CA file: unexpected PEM block %q (want CERTIFICATE)", b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("cipmini: peer CA file: certificate %d: %w", n+1, err)
		}
		n++
		if c.BasicConstraintsValid && c.IsCA {
			if t.Roots == nil {
				t.Roots = x509.NewCertPool()
			}
			t.Roots.AddCert(c)
		} else {
			t.Pinned = append(t.Pinned, c)
		}
	}
	if n == 0 {
		return nil, errors.New("cipmini: peer CA file holds no PEM certificate")
	}
	return t, nil
}

func (t *PeerTrust) time() time.Time {
	if t.now != nil {
		return t.now()
	}
	return time.Now()
}

// VerifyClient checks the certificates a client presented (leaf first) and
// returns the server id the leaf names: its first DNS name, lower-cased.
func (t *PeerTrust) VerifyClient(chain []*x509.Certificate) (serverID string, err error) {
	if len(chain) == 0 {
		return "", errors.New("cipmini: no client certificate")
	}
	id, err := certServerID(chain[0])
	if err != nil {
		return "", err
	}
	if err := t.verify(chain, "", x509.ExtKeyUsageClientAuth); err != nil {
		return "", err
	}
	return id, nil
}

// VerifyServer checks the certificates a server presented (leaf first)
// against the server id that was dialled.
func (t *PeerTrust) VerifyServer(chain []*x509.Certificate, serverID string) error {
	if len(chain) == 0 {
		return errors.New("cipmini: no server certificate")
	}
	if serverID == "" {
		return errors.New("cipmini: no server id to check the certificate against")
	}
	return t.verify(chain, serverID, x509.ExtKeyUsageServerAuth)
}

func (t *PeerTrust) verify(chain []*x509.Certificate, name string, usage x509.ExtKeyUsage) error {
	leaf, now := chain[0], t.time()
	for _, p := range t.Pinned {
		if !bytes.Equal(p.Raw, leaf.Raw) {
			continue
		}
		if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
			return fmt.Errorf("cipmini: pinned certificate for %s is not valid now (valid %s to %s)",
				strings.Join(leaf.DNSNames, ","), leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly))
		}
		if name != "" {
			if err := leaf.VerifyHostname(name); err != nil {
				return fmt.Errorf("cipmini: pinned certificate: %w", err)
			}
		}
		return nil
	}
	if t.Roots == nil {
		return errors.New("cipmini: certificate is not pinned and no peer CA is configured")
	}
	opts := x509.VerifyOptions{
		Roots:       t.Roots,
		DNSName:     name,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{usage},
	}
	if len(chain) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range chain[1:min(len(chain), maxPeerChain)] {
			opts.Intermediates.AddCert(c)
		}
	}
	if _, err := leaf.Verify(opts); err != nil {
		return fmt.Errorf("cipmini: peer certificate: %w", err)
	}
	return nil
}

// certServerID returns the server id a certificate names: its first DNS
// subject alternative name that is a plain host name (no wildcard).
func certServerID(c *x509.Certificate) (string, error) {
	for _, n := range c.DNSNames {
		if ValidServerID(n) {
			return strings.ToLower(n), nil
		}
	}
	return "", errors.New("cipmini: peer certificate names no server id (DNS subject alternative name)")
}

// ValidServerID reports whether s is a host name usable as a server id in a
// certificate: dot-separated labels of 1 to 63 letters, digits and '-', at
// most 253 octets, no wildcard.
func ValidServerID(s string) bool {
	if s == "" || len(s) > 253 || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
		label++
		if label > 63 {
			return false
		}
	}
	return true
}

// ClientConfig returns a TLS configuration for dialling the CIP server
// serverID: it presents cert when cert is not nil (so that the server
// authenticates this side as its own server id), and accepts only a server
// certificate that t trusts for serverID. Use it with Client.StartTLS or
// DialTLS.
func (t *PeerTrust) ClientConfig(serverID string, cert *tls.Certificate) *tls.Config {
	cfg := &tls.Config{
		ServerName: serverID,
		MinVersion: tls.VersionTLS12,
		// The chain is checked by VerifyConnection, with t's roots and
		// pins, which crypto/tls cannot express.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return t.VerifyServer(cs.PeerCertificates, serverID)
		},
	}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return cfg
}
