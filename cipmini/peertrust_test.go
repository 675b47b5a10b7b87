package cipmini

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

// The peer_ca file: CA certificates become roots, others are pinned;
// comments between blocks are fine; other blocks, bad certificates and
// empty files are errors.
func TestParsePeerTrust(t *testing.T) {
	ca := newTestCA(t, "Site CA")
	leaf := ca.issue(t, []string{"b.example"}, certOpts{})
	text := "# the site CA\n" + string(certPEM(ca.cert)) + "subject=b.example\n" + string(certPEM(leaf.Leaf))
	pt, err := ParsePeerTrust([]byte(text))
	if err != nil || pt.Roots == nil || len(pt.Pinned) != 1 || !pt.Pinned[0].Equal(leaf.Leaf) {
		t.Fatalf("ParsePeerTrust: %v %+v", err, pt)
	}
	if id, err := pt.VerifyClient([]*x509.Certificate{leaf.Leaf}); err != nil || id != "b.example" {
		t.Fatalf("VerifyClient: %q %v", id, err)
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	bad := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}})
	for in, want := range map[string]string{
		"":                                     "no PEM certificate",
		"just text\n":                          "no PEM certificate",
		string(key):                            `unexpected PEM block "PRIVATE KEY"`,
		string(certPEM(ca.cert)) + string(bad): "certificate 2:",
		strings.Repeat("x", 1<<20+1):           "over 1 MiB",
	} {
		if _, err := ParsePeerTrust([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePeerTrust(%.40q): %v, want %q", in, err, want)
		}
	}
	if _, err := pt.VerifyClient(nil); err == nil {
		t.Error("VerifyClient of no certificate")
	}
	if err := pt.VerifyServer([]*x509.Certificate{leaf.Leaf}, ""); err == nil {
		t.Error("VerifyServer without a name")
	}
	if err := (&PeerTrust{}).VerifyServer([]*x509.Certificate{leaf.Leaf}, "b.example"); err == nil {
		t.Error("an empty PeerTrust accepted a certificate")
	}
}

func TestValidServerID(t *testing.T) {
	for s, want := range map[string]bool{
		"a.example": true, "A-1.Example": true, "localhost": true,
		"": false, "*.a.example": false, ".a": false, "a.": false, "a..b": false,
		"a b": false, "a_b.example": false, strings.Repeat("a", 64) + ".x": false,
		strings.Repeat("a.", 127) + "a": false,
	} {
		if ValidServerID(s) != want {
			t.Errorf("ValidServerID(%q) = %v", s, !want)
		}
	}
}

// FuzzParsePeerTrust: any input is parsed or refused with an error, never
// a panic; what parses can be used to verify a chain.
func FuzzParsePeerTrust(f *testing.F) {
	ca := newTestCA(f, "Fuzz CA")
	leaf := ca.issue(f, []string{"b.example"}, certOpts{})
	f.Add(certPEM(ca.cert))
	f.Add(append(certPEM(ca.cert), certPEM(leaf.Leaf)...))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN X-----\n-----END X-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		pt, err := ParsePeerTrust(data)
		if err != nil {
			return
		}
		if pt.Roots == nil && len(pt.Pinned) == 0 {
			t.Fatal("parsed with nothing trusted")
		}
		pt.VerifyClient([]*x509.Certificate{leaf.Leaf})
		pt.VerifyServer([]*x509.Certificate{leaf.Leaf}, "b.example")
	})
}
