package cipmini

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// LoginGuard is the one per-address count of failed password checks that
// every way of guessing shares: AUTHENTICATE LOGIN, HTTP Basic and the
// room panel's PIN. An address may fail PerMinute checks a minute (the
// count drains at that rate, gradually); each failure is answered after
// BaseDelay doubled for each recent failure of the address, at most 16
// times. Past the limit the address's checks are refused without looking
// at the password.
//
// A check takes its slot before the password is looked at (Reserve), so
// that parallel attempts cannot pass the limit: of any number of
// concurrent attempts from one address, at most PerMinute reach the
// password. A success gives its slot back.
//
// The table of addresses is bounded: it holds at most MaxAddrs addresses
// (default DefaultMaxTrackedClients, 4096, about 100 octets each, so under
// 0.5 MiB); to admit another it forgets those whose count has drained,
// and when none has, the one with the lowest count. Set the fields before
// first use; a LoginGuard is safe for concurrent use.
type LoginGuard struct {
	// PerMinute is the failures an address may make a minute. Default
	// DefaultMaxLoginFailuresPerMinute (10); negative means no limit.
	PerMinute int
	// BaseDelay is the wait before a failure is answered. Default
	// DefaultAuthFailureDelay (1 second); negative means none.
	BaseDelay time.Duration
	// MaxAddrs bounds the table of addresses. Default
	// DefaultMaxTrackedClients (4096).
	MaxAddrs int

	once  sync.Once
	table *leakyTable[netip.Addr]
}

// Attempt is a password check that holds a slot of its address's count.
// Exactly one of Succeeded and Failed is to be called when the check is
// done.
type Attempt struct {
	g   *LoginGuard
	key netip.Addr
}

func (g *LoginGuard) perMinute() int {
	return orDefault(g.PerMinute, DefaultMaxLoginFailuresPerMinute)
}

func (g *LoginGuard) failures() *leakyTable[netip.Addr] {
	g.once.Do(func() {
		g.table = newLeakyTable[netip.Addr](float64(max(g.perMinute(), 1))/60, g.MaxAddrs)
	})
	return g.table
}

// Blocked reports whether the address has used up its failures for now:
// one more would pass the limit.
func (g *LoginGuard) Blocked(addr net.Addr) bool { return g.blocked(addrKey(addr)) }

func (g *LoginGuard) blocked(key netip.Addr) bool {
	n := g.perMinute()
	return n > 0 && g.failures().level(key) > float64(n-1)
}

// Level returns the address's count of recent failures, drained to now.
func (g *LoginGuard) Level(addr net.Addr) float64 { return g.failures().level(addrKey(addr)) }

// Reserve takes a slot for one password check from the address. It returns
// false, taking nothing, when the address is over the limit: the check
// must then be refused without looking at the password.
func (g *LoginGuard) Reserve(addr net.Addr) (Attempt, bool) { return g.reserve(addrKey(addr), 0) }

// ReserveWithin is Reserve with a stricter limit for this kind of check
// (the panel PIN's): it refuses when the address's count would pass
// limit, or PerMinute if that is lower.
func (g *LoginGuard) ReserveWithin(addr net.Addr, limit int) (Attempt, bool) {
	return g.reserve(addrKey(addr), limit)
}

// reserve takes a slot unless the count would pass PerMinute or, when
// positive, limit.
func (g *LoginGuard) reserve(key netip.Addr, limit int) (Attempt, bool) {
	a := Attempt{g: g, key: key}
	n := g.perMinute()
	if limit > 0 && (n < 0 || limit < n) {
		n = limit
	}
	if n < 0 {
		return a, true
	}
	_, ok := g.failures().add(key, 1, float64(n))
	return a, ok
}

// Succeeded gives the slot back: a right password does not count.
func (a Attempt) Succeeded() {
	if a.g.perMinute() >= 0 {
		a.g.failures().add(a.key, -1, 0)
	}
}

// Failed keeps the slot as a failure. It returns how long to wait before
// answering, BaseDelay doubled for each failure the address made lately
// (at most 16 times), and whether the address is now blocked.
func (a Attempt) Failed() (time.Duration, bool) {
	base := orDefault(a.g.BaseDelay, DefaultAuthFailureDelay)
	n := a.g.perMinute()
	if n < 0 {
		return max(base, 0), false
	}
	level := a.g.failures().level(a.key)
	return authDelay(base, max(level, 1)), level > float64(n-1)
}
