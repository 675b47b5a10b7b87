package directory

import (
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// loginCost makes a failed login cost the same whether or not the name
// exists: a name without a password is compared against a dummy bcrypt
// hash of the highest cost among the configured hashes, made on first
// use. It counts bcrypt comparisons for /metrics.
type loginCost struct {
	once   sync.Once
	dummy  *Secret
	bcrypt atomic.Int64
}

// dummySecret returns the secret unknown names are compared against: a
// bcrypt hash of a random-looking password at the highest cost of the
// directory's hashes, or a plain secret when no hash is configured (then
// every check is a cheap SHA-256 comparison anyway).
func (d *Directory) dummySecret() *Secret {
	d.login.once.Do(func() {
		cost := 0
		note := func(s *Secret) {
			if s.Hashed() {
				if c, err := bcrypt.Cost(s.bcryptHash); err == nil && c > cost {
					cost = c
				}
			}
		}
		for _, u := range d.users {
			note(u.Password)
		}
		for _, p := range d.peers {
			note(p.Password)
		}
		if cost == 0 {
			d.login.dummy = PlainSecret("\x00no such user")
			return
		}
		h, err := bcrypt.GenerateFromPassword([]byte("no such user: a dummy for timing"), cost)
		if err != nil { // only for a cost out of range, which Cost ruled out
			d.login.dummy = PlainSecret("\x00no such user")
			return
		}
		d.login.dummy = &Secret{bcryptHash: h}
	})
	return d.login.dummy
}

// match compares password against s, counting bcrypt comparisons.
func (d *Directory) match(s *Secret, password string) bool {
	if s.Hashed() {
		d.login.bcrypt.Add(1)
	}
	return s.Match(password)
}

// BcryptChecks returns how many bcrypt comparisons Login has made since
// the directory was built: one per login of a name with a bcrypt hash,
// and one per login of an unknown name when any hash is configured. Safe
// for concurrent use.
func (d *Directory) BcryptChecks() int64 { return d.login.bcrypt.Load() }

// PrepareLogin makes the dummy hash now (one bcrypt hashing), so that the
// first login of an unknown name does not pay for it and stand out. Safe
// for concurrent use, with Login too.
func (d *Directory) PrepareLogin() { d.dummySecret() }

// DefaultHashCost is the bcrypt cost of a password hash unless told
// otherwise: bcrypt's default, 10.
const DefaultHashCost = bcrypt.DefaultCost

// HashPassword returns the bcrypt hash of password at cost, as the
// configuration keeps it and BcryptSecret takes it. Its errors are
// bcrypt's: a cost out of range, a password longer than 72 bytes.
func HashPassword(password string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	return string(h), err
}
