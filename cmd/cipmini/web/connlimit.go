package web

import (
	"net"
	"net/netip"
	"sync"
)

// DefaultMaxConns is Options.MaxConns's default: the HTTP connections open
// at once (a panel, a few feed readers and scrapers need a handful).
const DefaultMaxConns = 64

// limitListener closes at once every connection past max open ones, or
// past max/2 of one address (an IPv4 address or an IPv6 /64), so that
// half-sent requests cannot pile up. Its table of addresses holds only
// addresses with a connection open: an entry goes when its count drops to
// zero, so it is bounded by max. Safe for concurrent use.
type limitListener struct {
	net.Listener
	max, perAddr int

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int
}

func newLimitListener(l net.Listener, n int) net.Listener {
	if n < 0 {
		return l
	}
	if n == 0 {
		n = DefaultMaxConns
	}
	return &limitListener{Listener: l, max: n, perAddr: max(n/2, 1), byAddr: map[netip.Addr]int{}}
}

// Accept returns the next connection within the limits, closing those
// beyond them.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := connKey(c.RemoteAddr())
		l.mu.Lock()
		ok := l.open < l.max && l.byAddr[key] < l.perAddr
		if ok {
			l.open++
			l.byAddr[key]++
		}
		l.mu.Unlock()
		if ok {
			return &limitConn{Conn: c, l: l, key: key}, nil
		}
		c.Close()
	}
}

func (l *limitListener) release(key netip.Addr) {
	l.mu.Lock()
	l.open--
	if l.byAddr[key] <= 1 {
		delete(l.byAddr, key)
	} else {
		l.byAddr[key]--
	}
	l.mu.Unlock()
}

// connKey is the address key of a connection: the IPv4 address or the
// IPv6 /64.
func connKey(a net.Addr) netip.Addr {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	ip := ta.AddrPort().Addr().Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

type limitConn struct {
	net.Conn
	l    *limitListener
	key  netip.Addr
	once sync.Once
}

func (c *limitConn) Close() error {
	c.once.Do(func() { c.l.release(c.key) })
	return c.Conn.Close()
}
