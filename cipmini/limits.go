package cipmini

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Defaults for the per-address limits (README, Security).
const (
	// DefaultMaxConnsPerAddr is half of DefaultMaxConns, so that one
	// address never fills the server.
	DefaultMaxConnsPerAddr = 32
	// DefaultMaxLoginFailuresPerMinute is the failed logins an address may
	// make in a minute before it is refused.
	DefaultMaxLoginFailuresPerMinute = 10
	// DefaultMaxTrackedClients bounds each table of addresses or identities
	// that the limits keep (about 100 octets an entry).
	DefaultMaxTrackedClients = 4096
)

// maxAuthDelayFactor caps the growth of the delay before a failed login is
// answered: at most 16 times AuthFailureDelay.
const maxAuthDelayFactor = 16

// maxRefusing bounds the goroutines answering connections that are turned
// away; beyond it they are closed without an answer.
const maxRefusing = 64

// addrKey is the key of the per-address limits: the IPv4 address, or the
// /64 prefix of an IPv6 address (one site's worth). Addresses that are not
// IP (a pipe, a Unix socket) all share the zero key.
func addrKey(a net.Addr) netip.Addr {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	default:
		if a == nil {
			return netip.Addr{}
		}
		var err error
		if ap, err = netip.ParseAddrPort(a.String()); err != nil {
			return netip.Addr{}
		}
	}
	ip := ap.Addr().Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// leakyTable keeps a leaky bucket per key: a level that grows by what is
// added and drains at rate units a second. It holds at most max keys; to
// admit another it forgets drained buckets and, when none is, the lowest
// one, so the clients held back longest are remembered. It is safe for
// concurrent use.
type leakyTable[K comparable] struct {
	mu   sync.Mutex
	rate float64
	max  int
	m    map[K]*bucket
	now  func() time.Time // tests only; default time.Now
}

type bucket struct {
	level float64
	at    time.Time
}

func newLeakyTable[K comparable](rate float64, max int) *leakyTable[K] {
	if max <= 0 {
		max = DefaultMaxTrackedClients
	}
	return &leakyTable[K]{rate: rate, max: max, m: make(map[K]*bucket)}
}

func (t *leakyTable[K]) clock() time.Time {
	if t.now != nil {
		return t.now()
	}
	return time.Now()
}

// drain brings b's level down to now.
func (t *leakyTable[K]) drain(b *bucket, now time.Time) {
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.level -= el * t.rate
		if b.level < 0 {
			b.level = 0
		}
		b.at = now
	}
}

// level returns key's level now.
func (t *leakyTable[K]) level(key K) float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.m[key]
	if b == nil {
		return 0
	}
	t.drain(b, t.clock())
	return b.level
}

// add adds n (negative to give back) to key's level, unless limit > 0 and
// the level would pass it; it returns the level and whether n was added.
func (t *leakyTable[K]) add(key K, n, limit float64) (float64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock()
	b := t.m[key]
	if b == nil {
		if n <= 0 {
			return 0, true
		}
		if len(t.m) >= t.max {
			t.evict(now)
		}
		b = &bucket{at: now}
		t.m[key] = b
	}
	t.drain(b, now)
	if limit > 0 && b.level+n > limit {
		return b.level, false
	}
	b.level += n
	if b.level < 0 {
		b.level = 0
	}
	return b.level, true
}

// evict makes room for one key: it drops every drained bucket, or the
// lowest one when none is drained.
func (t *leakyTable[K]) evict(now time.Time) {
	var lowKey K
	var low *bucket
	dropped := false
	for k, b := range t.m {
		t.drain(b, now)
		if b.level == 0 {
			delete(t.m, k)
			dropped = true
		} else if low == nil || b.level < low.level {
			lowKey, low = k, b
		}
	}
	if !dropped && low != nil {
		delete(t.m, lowKey)
	}
}

// len returns the number of keys held.
func (t *leakyTable[K]) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

func (s *Server) maxConnsPerAddr() int {
	return orDefault(s.MaxConnsPerAddr, min(DefaultMaxConnsPerAddr, max(s.maxConns()/2, 1)))
}

func (s *Server) maxLoginFailures() int {
	return orDefault(s.MaxLoginFailuresPerMinute, DefaultMaxLoginFailuresPerMinute)
}

// guard returns the Server's LoginGuard: Guard, or one made on first use
// from MaxLoginFailuresPerMinute and AuthFailureDelay.
func (s *Server) guard() *LoginGuard {
	if s.Guard != nil {
		return s.Guard
	}
	s.failOnce.Do(func() {
		s.ownGuard = &LoginGuard{PerMinute: s.MaxLoginFailuresPerMinute, BaseDelay: s.AuthFailureDelay}
	})
	return s.ownGuard
}

// failureTable returns the table of failed logins per address.
func (s *Server) failureTable() *leakyTable[netip.Addr] { return s.guard().failures() }

// loginBlocked reports whether the address has used up its failed logins
// for now, one more being over the limit: its connections are turned away
// with NO 007 and its logins are refused without looking at the password.
func (s *Server) loginBlocked(key netip.Addr) bool { return s.guard().blocked(key) }

// authDelay is base times 2^(level-1), at most maxAuthDelayFactor times
// base; no delay when base is negative.
func authDelay(base time.Duration, level float64) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base
	for i := 1.0; i < level && d < maxAuthDelayFactor*base; i++ {
		d *= 2
	}
	return min(d, maxAuthDelayFactor*base)
}

// admitAddr counts a new session from the address, unless the address
// already has MaxConnsPerAddr. Called with s.mu held.
func (s *Server) admitAddr(key netip.Addr) bool {
	n := s.maxConnsPerAddr()
	if s.perAddr == nil {
		s.perAddr = make(map[netip.Addr]int)
	}
	if n > 0 && s.perAddr[key] >= n {
		return false
	}
	s.perAddr[key]++
	return true
}

// releaseAddr forgets a session of the address. Called with s.mu held.
func (s *Server) releaseAddr(key netip.Addr) {
	if s.perAddr[key] <= 1 {
		delete(s.perAddr, key)
	} else {
		s.perAddr[key]--
	}
}

// turnAway answers a connection that is not served with NO 007 and closes
// it; on an implicit-TLS listener, or when many are being answered already,
// it just closes it.
func (s *Server) turnAway(conn net.Conn, text string, implicitTLS bool) {
	if implicitTLS || s.refusing.Add(1) > maxRefusing {
		if !implicitTLS {
			s.refusing.Add(-1)
		}
		conn.Close()
		return
	}
	go func() {
		defer s.refusing.Add(-1)
		s.refuse(conn, text)
	}()
}

func (s *Server) busyIdleTimeout() time.Duration {
	return orDefault(s.BusyIdleTimeout, DefaultBusyIdleTimeout)
}

// reapIdle closes, with NO 007, the sessions that have waited
// BusyIdleTimeout or more for a command. Called with s.mu held, when the
// server is more than three quarters full; it costs one pass over the
// sessions (at most MaxConns).
func (s *Server) reapIdle() {
	d := s.busyIdleTimeout()
	if d < 0 {
		return
	}
	now := time.Now()
	for sess := range s.sessions {
		sess.mu.Lock()
		if sess.idle && !sess.reaped && now.Sub(sess.idleSince) >= d {
			sess.reaped = true
			sess.conn.SetReadDeadline(now)
		}
		sess.mu.Unlock()
	}
}
