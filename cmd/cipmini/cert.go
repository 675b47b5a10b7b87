package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini"
)

// maxCSR bounds the certificate request `cipmini cert sign` reads.
const maxCSR = 64 << 10

const certUsage = `usage:
  cipmini cert ca --out DIR [--name NAME] [--days N]
        make a site CA: DIR/ca.key and DIR/ca.crt (give ca.crt to every server as peer_ca)
  cipmini cert request --server-id ID [--out DIR]
        make a device key and certificate request: DIR/ID.key (tls_key) and DIR/ID.csr
  cipmini cert sign --ca DIR [--days N] [--out FILE] CSR
        sign a request with the site CA: FILE (tls_cert), by default CSR with .crt for .csr
`

// cmdCert makes the keys and certificates of a small site: a CA, device
// keys with certificate requests, and certificates signed by the CA. Keys
// are ECDSA P-256; existing files are never overwritten.
func cmdCert(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, certUsage)
		return errUsage
	}
	switch args[0] {
	case "ca":
		return certCA(args[1:], stdout, stderr)
	case "request":
		return certRequest(args[1:], stdout, stderr)
	case "sign":
		return certSign(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, certUsage)
		return nil
	}
	fmt.Fprintf(stderr, "cipmini cert: unknown command %q\n%s", args[0], certUsage)
	return errUsage
}

func certCA(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cert ca", stderr)
	out := fs.String("out", "", "`directory` for ca.key and ca.crt (made if missing)")
	name := fs.String("name", "cipmini site CA", "the CA's `name` (its certificate's common name)")
	days := fs.Int("days", 3650, "validity in `days`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 || *days <= 0 {
		fmt.Fprint(stderr, certUsage)
		return errUsage
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("cipmini: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: *name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(0, 0, *days),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("cipmini: %w", err)
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return fmt.Errorf("cipmini: %w", err)
	}
	keyPath, crtPath := filepath.Join(*out, "ca.key"), filepath.Join(*out, "ca.crt")
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	if err := writePEM(crtPath, "CERTIFICATE", der, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (keep it secret, offline if you can) and %s (peer_ca)\n", keyPath, crtPath)
	return nil
}

func certRequest(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cert request", stderr)
	id := fs.String("server-id", "", "the server `id` the certificate is for (its DNS name)")
	out := fs.String("out", ".", "`directory` for ID.key and ID.csr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" || fs.NArg() != 0 {
		fmt.Fprint(stderr, certUsage)
		return errUsage
	}
	if !cipmini.ValidServerID(*id) {
		return fmt.Errorf("cipmini: --server-id %q is not a host name", *id)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("cipmini: %w", err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: *id},
		DNSNames: []string{*id},
	}, key)
	if err != nil {
		return fmt.Errorf("cipmini: %w", err)
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return fmt.Errorf("cipmini: %w", err)
	}
	keyPath, csrPath := filepath.Join(*out, *id+".key"), filepath.Join(*out, *id+".csr")
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	if err := writePEM(csrPath, "CERTIFICATE REQUEST", der, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (tls_key) and %s (to be signed: cipmini cert sign)\n", keyPath, csrPath)
	return nil
}

func certSign(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cert sign", stderr)
	caDir := fs.String("ca", "", "`directory` holding ca.key and ca.crt")
	days := fs.Int("days", 825, "validity in `days` (at most the CA's)")
	out := fs.String("out", "", "certificate `file` to write (default: the request's name with .crt)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *caDir == "" || fs.NArg() != 1 || *days <= 0 {
		fmt.Fprint(stderr, certUsage)
		return errUsage
	}
	csrPath := fs.Arg(0)
	csr, err := readCSR(csrPath)
	if err != nil {
		return err
	}
	names, err := csrNames(csr)
	if err != nil {
		return fmt.Errorf("cipmini: %s: %w", csrPath, err)
	}
	ca, err := tls.LoadX509KeyPair(filepath.Join(*caDir, "ca.crt"), filepath.Join(*caDir, "ca.key"))
	if err != nil {
		return fmt.Errorf("cipmini: the CA in %s: %w", *caDir, err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		return fmt.Errorf("cipmini: the CA in %s: %w", *caDir, err)
	}
	if !caCert.IsCA {
		return fmt.Errorf("cipmini: %s/ca.crt is not a CA certificate", *caDir)
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(0, 0, *days),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	if tmpl.NotAfter.After(caCert.NotAfter) {
		tmpl.NotAfter = caCert.NotAfter
	}
	if _, isRSA := csr.PublicKey.(*rsa.PublicKey); isRSA {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	signer, ok := ca.PrivateKey.(crypto.Signer)
	if !ok {
		return fmt.Errorf("cipmini: the CA key in %s cannot sign", *caDir)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, csr.PublicKey, signer)
	if err != nil {
		return fmt.Errorf("cipmini: %w", err)
	}
	if *out == "" {
		*out = strings.TrimSuffix(csrPath, ".csr") + ".crt"
	}
	if err := writePEM(*out, "CERTIFICATE", der, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s for %s, valid until %s (tls_cert)\n", *out, strings.Join(names, ", "),
		tmpl.NotAfter.Format(time.DateOnly))
	return nil
}

// readCSR reads and checks a PEM certificate request.
func readCSR(path string) (*x509.CertificateRequest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cipmini: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCSR+1))
	if err != nil {
		return nil, fmt.Errorf("cipmini: %w", err)
	}
	if len(b) > maxCSR {
		return nil, fmt.Errorf("cipmini: %s: over %d KiB: not a certificate request", path, maxCSR>>10)
	}
	block, _ := pem.Decode(b)
	if block == nil || (block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST") {
		return nil, fmt.Errorf("cipmini: %s: no PEM CERTIFICATE REQUEST", path)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", path, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", path, err)
	}
	return csr, nil
}

// csrNames returns the server ids a request asks for: its DNS names, or its
// common name when it has none (a plain `openssl req`). Each must be a host
// name; other kinds of name (IP addresses, e-mail) are not copied.
func csrNames(csr *x509.CertificateRequest) ([]string, error) {
	names := csr.DNSNames
	if len(names) == 0 && csr.Subject.CommonName != "" {
		names = []string{csr.Subject.CommonName}
	}
	if len(names) == 0 {
		return nil, errors.New("the request names no server id (DNS name or common name)")
	}
	for _, n := range names {
		if !cipmini.ValidServerID(n) {
			return nil, fmt.Errorf("%q is not a host name usable as a server id", n)
		}
	}
	return names, nil
}

// randomSerial returns a random positive serial number of up to 127 bits.
func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("cipmini: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// writeKey writes a private key as PKCS #8 PEM, readable by its owner only.
func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("cipmini: %w", err)
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

// writePEM writes one PEM block to a new file; an existing file is an error.
func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("cipmini: %s exists: remove it first, or write elsewhere", path)
		}
		return fmt.Errorf("cipmini: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: typ, Bytes: der}); err != nil {
		f.Close()
		return fmt.Errorf("cipmini: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("cipmini: %w", err)
	}
	return f.Close()
}
