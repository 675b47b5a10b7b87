// Package locate finds the CIP server for a server id, as draft section 1.9
// and RFC 2782 say: the SRV records of _cip._tcp.<server-id> in priority
// order, weighted at random within a priority, with the port from the
// record; without SRV records, the server id's own A/AAAA records on port
// 5229. A static address configured for a server id wins over DNS.
package locate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini"
)

// ErrNoService is returned when a server id's SRV record says the service is
// not offered there (a single record with the target ".", RFC 2782).
var ErrNoService = errors.New("locate: CIP is not offered for that server id")

// Locator maps server ids to addresses. The zero value uses the system's
// resolver and port 5229. Fields must not change once it is in use; it is
// then safe for concurrent use. Every lookup asks DNS again (draft 1.9).
type Locator struct {
	// Resolver answers the DNS questions; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// Static maps server ids (lower case) to host:port, overriding DNS.
	Static map[string]string
	// Port is used when there is no SRV record. Default cipmini.DefaultPort.
	Port int
	// DialTimeout bounds each connection attempt. Default 10 s.
	DialTimeout time.Duration
}

// New returns a Locator that sends every DNS question to the server at
// dnsServer (host:port), or uses the system's resolver when it is empty.
func New(dnsServer string, static map[string]string) *Locator {
	l := &Locator{Static: static}
	if dnsServer != "" {
		var d net.Dialer
		l.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, dnsServer)
		}}
	}
	return l
}

func (l *Locator) resolver() *net.Resolver {
	if l.Resolver != nil {
		return l.Resolver
	}
	return net.DefaultResolver
}

// Target is one place to try, host and port, in the order to try it.
type Target struct {
	Host string
	Port uint16
}

func (t Target) String() string { return net.JoinHostPort(t.Host, strconv.Itoa(int(t.Port))) }

// Lookup returns the targets for a server id, in the order to try them.
func (l *Locator) Lookup(ctx context.Context, serverID string) ([]Target, error) {
	serverID = strings.TrimSuffix(strings.ToLower(serverID), ".")
	if a, ok := l.Static[serverID]; ok {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			return nil, fmt.Errorf("locate: static address of %s: %w", serverID, err)
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("locate: static address of %s: bad port", serverID)
		}
		return []Target{{Host: host, Port: uint16(p)}}, nil
	}
	_, srvs, err := l.resolver().LookupSRV(ctx, "cip", "tcp", serverID)
	var dnsErr *net.DNSError
	if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
		return nil, fmt.Errorf("locate: SRV of %s: %w", serverID, err)
	}
	if len(srvs) == 0 {
		port := l.Port
		if port == 0 {
			port = cipmini.DefaultPort
		}
		return []Target{{Host: serverID, Port: uint16(port)}}, nil
	}
	if len(srvs) == 1 && (srvs[0].Target == "." || srvs[0].Target == "") {
		return nil, ErrNoService
	}
	return order(srvs, rand.IntN), nil
}

// order sorts SRV records as RFC 2782 says: by priority, lowest first, and
// within a priority at random, each record's chance of coming next in
// proportion to its weight (a weight of 0 has a small chance). intn is
// rand.IntN, replaced in tests.
func order(srvs []*net.SRV, intn func(int) int) []Target {
	byPrio := append([]*net.SRV(nil), srvs...)
	sort.SliceStable(byPrio, func(i, j int) bool { return byPrio[i].Priority < byPrio[j].Priority })
	var out []Target
	for i := 0; i < len(byPrio); {
		j := i
		for j < len(byPrio) && byPrio[j].Priority == byPrio[i].Priority {
			j++
		}
		group := byPrio[i:j]
		// RFC 2782: zero-weight records first, then draw by running sums.
		sort.SliceStable(group, func(a, b int) bool { return group[a].Weight == 0 && group[b].Weight != 0 })
		for len(group) > 0 {
			total := 0
			for _, s := range group {
				total += int(s.Weight)
			}
			pick := 0
			if total > 0 {
				r, sum := intn(total+1), 0
				for k, s := range group {
					sum += int(s.Weight)
					if sum >= r {
						pick = k
						break
					}
				}
			}
			s := group[pick]
			out = append(out, Target{Host: strings.TrimSuffix(s.Target, "."), Port: s.Port})
			group = append(group[:pick:pick], group[pick+1:]...)
		}
		i = j
	}
	return out
}

// Dial looks the server id up and connects to the first target that
// answers with a CIP greeting, trying them in order. The resolver is used
// for the targets' addresses too.
func (l *Locator) Dial(ctx context.Context, serverID string) (*cipmini.Client, error) {
	targets, err := l.Lookup(ctx, serverID)
	if err != nil {
		return nil, err
	}
	timeout := l.DialTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var errs []error
	for _, t := range targets {
		d := net.Dialer{Resolver: l.resolver(), Timeout: timeout}
		conn, err := d.DialContext(ctx, "tcp", t.String())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := cipmini.NewClient(ctx, conn)
		if err != nil {
			conn.Close()
			errs = append(errs, fmt.Errorf("%s: %w", t, err))
			continue
		}
		return c, nil
	}
	return nil, fmt.Errorf("locate: no server for %s answered: %w", serverID, errors.Join(errs...))
}
