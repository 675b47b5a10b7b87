package ciptest

import (
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
)

// DNS record types served by DNSServer.
const (
	typeA    = 1
	typeAAAA = 28
	typeSRV  = 33
)

// SRV is one SRV record for DNSServer.
type SRV struct {
	Priority, Weight, Port uint16
	Target                 string
}

// DNSServer is a small authoritative DNS server on 127.0.0.1 for tests: it
// answers A and SRV questions (over UDP) from its maps and NXDOMAIN for
// names it does not know. Records may be changed while it runs; it is safe
// for concurrent use.
type DNSServer struct {
	Addr string // host:port it listens on

	mu  sync.Mutex
	a   map[string][]net.IP // name (lower case, no final dot) -> IPv4 addresses
	srv map[string][]SRV    // "_cip._tcp.a.com" -> records
	pc  net.PacketConn
}

// StartDNS starts a DNSServer on a free UDP port of 127.0.0.1; it stops
// when the test ends.
func StartDNS(t testing.TB) *DNSServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &DNSServer{Addr: pc.LocalAddr().String(), a: map[string][]net.IP{}, srv: map[string][]SRV{}, pc: pc}
	go s.serve()
	t.Cleanup(func() { pc.Close() })
	return s
}

// SetA sets the IPv4 addresses of a name.
func (s *DNSServer) SetA(name string, ips ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []net.IP
	for _, ip := range ips {
		list = append(list, net.ParseIP(ip).To4())
	}
	s.a[canon(name)] = list
}

// SetSRV sets the SRV records of a name such as "_cip._tcp.a.com".
func (s *DNSServer) SetSRV(name string, recs ...SRV) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.srv[canon(name)] = recs
}

func canon(name string) string { return strings.TrimSuffix(strings.ToLower(name), ".") }

func (s *DNSServer) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, err := s.answer(buf[:n]); err == nil {
			s.pc.WriteTo(resp, from)
		}
	}
}

var errBadQuery = errors.New("ciptest: bad DNS query")

// answer builds the response to one query.
func (s *DNSServer) answer(q []byte) ([]byte, error) {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil, errBadQuery
	}
	name, off, err := readName(q, 12)
	if err != nil || off+4 > len(q) {
		return nil, errBadQuery
	}
	qtype := binary.BigEndian.Uint16(q[off:])
	question := q[12 : off+4]

	s.mu.Lock()
	ips, knownA := s.a[name]
	srvs, knownSRV := s.srv[name]
	s.mu.Unlock()

	var answers [][]byte
	switch qtype {
	case typeA:
		for _, ip := range ips {
			answers = append(answers, rr(name, typeA, ip))
		}
	case typeSRV:
		for _, r := range srvs {
			rdata := binary.BigEndian.AppendUint16(nil, r.Priority)
			rdata = binary.BigEndian.AppendUint16(rdata, r.Weight)
			rdata = binary.BigEndian.AppendUint16(rdata, r.Port)
			rdata = appendName(rdata, canon(r.Target))
			answers = append(answers, rr(name, typeSRV, rdata))
		}
	}
	rcode := uint16(0)
	if !knownA && !knownSRV {
		rcode = 3 // NXDOMAIN
	}
	resp := make([]byte, 12, 512)
	copy(resp, q[:2])                                                                   // ID
	flags := uint16(1<<15|1<<10) | binary.BigEndian.Uint16(q[2:])&(1<<8) | 1<<7 | rcode // QR AA RD RA
	binary.BigEndian.PutUint16(resp[2:], flags)
	binary.BigEndian.PutUint16(resp[4:], 1)
	binary.BigEndian.PutUint16(resp[6:], uint16(len(answers)))
	resp = append(resp, question...)
	for _, a := range answers {
		resp = append(resp, a...)
	}
	return resp, nil
}

// rr encodes a resource record of class IN with a TTL of 0.
func rr(name string, typ uint16, rdata []byte) []byte {
	b := appendName(nil, name)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
	return append(b, rdata...)
}

func appendName(b []byte, name string) []byte {
	if name != "" {
		for _, label := range strings.Split(name, ".") {
			b = append(b, byte(len(label)))
			b = append(b, label...)
		}
	}
	return append(b, 0)
}

// readName reads an uncompressed name (queries carry no compression).
func readName(b []byte, off int) (string, int, error) {
	var labels []string
	for {
		if off >= len(b) {
			return "", 0, errBadQuery
		}
		n := int(b[off])
		off++
		if n == 0 {
			return strings.ToLower(strings.Join(labels, ".")), off, nil
		}
		if n > 63 || off+n > len(b) {
			return "", 0, errBadQuery
		}
		labels = append(labels, string(b[off:off+n]))
		off += n
	}
}
