package directory

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cipmini/cipmini/cipmini/vcal"
	"golang.org/x/crypto/bcrypt"
)

// UserKind says what a local user is.
type UserKind uint8

// The kinds of local user. Rooms and equipment are resources: they answer
// invitations by their policy (docs/PROTOCOL.md section 10).
const (
	Person UserKind = iota
	Room
	Equipment
)

// String returns the kind as the configuration spells it.
func (k UserKind) String() string {
	return [...]string{"person", "room", "equipment"}[k]
}

// Resource reports whether the kind answers invitations by policy.
func (k UserKind) Resource() bool { return k == Room || k == Equipment }

// Invite says who may deliver invitations to a local user (docs/PROTOCOL.md
// section 9.1).
type Invite uint8

const (
	InviteAuthenticated Invite = iota // any logged-in peer or local user
	InviteAnyone                      // anonymous clients too
)

// FreeBusyAccess says who may read a local user's free/busy
// (docs/PROTOCOL.md section 7.4).
type FreeBusyAccess uint8

const (
	FreeBusyPublic        FreeBusyAccess = iota // anyone
	FreeBusyAuthenticated                       // any logged-in peer or local user
	FreeBusyPrivate                             // the user alone
)

// Policy is a resource's automatic answer to invitations (docs/PROTOCOL.md
// section 10.1).
type Policy uint8

const (
	PolicyAcceptIfFree  Policy = iota // accept unless an instance overlaps an accepted booking
	PolicyAcceptAlways                // accept everything
	PolicyDeclineAlways               // decline everything
	PolicyManual                      // store as tentative; a person answers later
)

var policyNames = [...]string{"accept-if-free", "accept-always", "decline-always", "manual"}

// String returns the policy as the configuration spells it.
func (p Policy) String() string { return policyNames[p] }

// ParsePolicy parses a policy name as the configuration spells it.
func ParsePolicy(s string) (Policy, error) {
	for i, n := range policyNames {
		if s == n {
			return Policy(i), nil
		}
	}
	return 0, fmt.Errorf("store: unknown policy %q (want one of %s)", s, strings.Join(policyNames[:], ", "))
}

// User is a local user of this server.
type User struct {
	// ID is the full user id, normalized ("room-1@cipmini.local").
	ID   string
	Kind UserKind
	// Password is the user's login secret; nil means the user cannot log in.
	Password *Secret
	Invite   Invite
	FreeBusy FreeBusyAccess
	// Policy and Limits apply to resources only.
	Policy Policy
	Limits Limits
}

// Peer is another CIP server that this one knows.
type Peer struct {
	ServerID string
	// Password is what the peer logs in here with; nil means it cannot.
	Password *Secret
	// LoginPassword is what this server logs in there with.
	LoginPassword string
	// Address, when set, is the peer's host:port, overriding DNS.
	Address string
	// Aliases are other domains the peer speaks for: it may change events
	// organized in them (docs/PROTOCOL.md section 9.5). Nil means its server
	// id only.
	Aliases []string
}

// Secret is a password as kept in memory: a bcrypt hash, or the SHA-256 of a
// plain password from the configuration. Comparison takes constant time.
type Secret struct {
	bcryptHash []byte
	sha        [32]byte
}

// BcryptSecret returns a Secret for a bcrypt hash ("$2a$...", "$2b$...").
func BcryptSecret(hash string) (*Secret, error) {
	if _, err := bcrypt.Cost([]byte(hash)); err != nil {
		return nil, fmt.Errorf("store: not a bcrypt hash: %w", err)
	}
	return &Secret{bcryptHash: []byte(hash)}, nil
}

// PlainSecret returns a Secret for a password given in clear.
func PlainSecret(password string) *Secret {
	return &Secret{sha: sha256.Sum256([]byte(password))}
}

// Match reports whether password is the secret.
func (s *Secret) Match(password string) bool {
	if s == nil {
		return false
	}
	if s.bcryptHash != nil {
		return bcrypt.CompareHashAndPassword(s.bcryptHash, []byte(password)) == nil
	}
	sum := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(sum[:], s.sha[:]) == 1
}

// Hashed reports whether the secret came from a bcrypt hash.
func (s *Secret) Hashed() bool { return s != nil && s.bcryptHash != nil }

// Directory is who and what this server knows: its ids, its users, peers,
// moved users and groups. It is built once from the configuration and is not
// changed afterwards, so it is safe for concurrent use.
type Directory struct {
	ServerID string
	Aliases  []string
	// AllowAnonymousRSVP lets clients that did not log in answer for any
	// attendee (docs/PROTOCOL.md section 9.3; the draft's last example).
	AllowAnonymousRSVP bool

	users          map[string]*User
	peers          map[string]*Peer
	redirects      map[string]string
	eventRedirects map[string]string
	groups         map[string][]string

	login loginCost // the cost of a failed login; see login.go
}

// NewDirectory returns an empty directory for the server id and aliases.
func NewDirectory(serverID string, aliases ...string) *Directory {
	d := &Directory{
		ServerID:       strings.ToLower(serverID),
		users:          map[string]*User{},
		peers:          map[string]*Peer{},
		redirects:      map[string]string{},
		eventRedirects: map[string]string{},
		groups:         map[string][]string{},
	}
	for _, a := range aliases {
		d.Aliases = append(d.Aliases, strings.ToLower(a))
	}
	return d
}

// UserID turns a configured name into a full user id: a bare local part gets
// the server id as its domain.
func (d *Directory) UserID(name string) string {
	if !strings.Contains(name, "@") {
		name += "@" + d.ServerID
	}
	return vcal.NormalizeAddress(name)
}

// AddUser adds a local user. Its ID must be in one of the server's domains.
func (d *Directory) AddUser(u *User) error {
	u.ID = d.Canonical(u.ID)
	if !d.IsLocal(u.ID) {
		return fmt.Errorf("store: user %s is not in this server's domains", u.ID)
	}
	if _, dup := d.users[u.ID]; dup {
		return fmt.Errorf("store: user %s defined twice", u.ID)
	}
	d.users[u.ID] = u
	return nil
}

// AddPeer adds a peer server.
func (d *Directory) AddPeer(p *Peer) error {
	p.ServerID = strings.ToLower(p.ServerID)
	if _, dup := d.peers[p.ServerID]; dup {
		return fmt.Errorf("store: peer %s defined twice", p.ServerID)
	}
	d.peers[p.ServerID] = p
	return nil
}

// AddRedirect records that the user id from has moved to to.
func (d *Directory) AddRedirect(from, to string) error {
	from, to = d.Canonical(from), vcal.NormalizeAddress(to)
	if !d.IsLocal(from) {
		return fmt.Errorf("store: redirect from %s: not in this server's domains", from)
	}
	d.redirects[from] = to
	return nil
}

// AddEventRedirect records that the event id (UID) from is now to: an RSVP
// for from is answered "* REDIRECT EVENT from IS NOW to" (draft 2.3).
func (d *Directory) AddEventRedirect(from, to string) {
	d.eventRedirects[from] = to
}

// EventRedirect returns the new id of a moved event, or "".
func (d *Directory) EventRedirect(uid string) string { return d.eventRedirects[uid] }

// AddGroup defines a group id whose members are user ids, local or remote,
// or other groups.
func (d *Directory) AddGroup(id string, members []string) error {
	id = d.Canonical(id)
	if !d.IsLocal(id) {
		return fmt.Errorf("store: group %s: not in this server's domains", id)
	}
	ms := make([]string, len(members))
	for i, m := range members {
		ms[i] = d.Canonical(d.UserID(m))
	}
	d.groups[id] = ms
	return nil
}

// User returns the local user with the id, in the server's domain or an
// alias, or nil.
func (d *Directory) User(id string) *User { return d.users[d.Canonical(id)] }

// Canonical returns a normalized user id with an alias domain replaced by
// the server id: the key under which a local user's data is kept.
func (d *Directory) Canonical(id string) string {
	id = vcal.NormalizeAddress(id)
	local, dom, ok := strings.Cut(id, "@")
	if !ok || dom == d.ServerID {
		return id
	}
	for _, a := range d.Aliases {
		if dom == a {
			return local + "@" + d.ServerID
		}
	}
	return id
}

// Users returns every local user, sorted by id.
func (d *Directory) Users() []*User {
	us := make([]*User, 0, len(d.users))
	for _, u := range d.users {
		us = append(us, u)
	}
	sort.Slice(us, func(i, j int) bool { return us[i].ID < us[j].ID })
	return us
}

// Peer returns the peer with the server id, or nil.
func (d *Directory) Peer(serverID string) *Peer { return d.peers[strings.ToLower(serverID)] }

// Redirect returns the new id of a moved user, or "".
func (d *Directory) Redirect(id string) string { return d.redirects[d.Canonical(id)] }

// IsLocal reports whether a user id's domain is this server's id or an alias.
func (d *Directory) IsLocal(id string) bool {
	_, dom, ok := strings.Cut(vcal.NormalizeAddress(id), "@")
	if !ok {
		return false
	}
	if dom == d.ServerID {
		return true
	}
	for _, a := range d.Aliases {
		if dom == a {
			return true
		}
	}
	return false
}

// MaxGroupDepth bounds group expansion (docs/PROTOCOL.md section 8.4).
const MaxGroupDepth = 8

// Expand returns the ids a user id stands for: the id itself, or for a group
// its members, recursively, each once. A loop (A→B→A) or a chain deeper than
// MaxGroupDepth ends the expansion; loops reports whether one was cut.
func (d *Directory) Expand(id string) (ids []string, loops bool) {
	seen := map[string]bool{}
	var walk func(id string, depth int)
	walk = func(id string, depth int) {
		members, isGroup := d.groups[id]
		if !isGroup {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
			return
		}
		if seen[id] || depth >= MaxGroupDepth {
			loops = true
			return
		}
		seen[id] = true
		for _, m := range members {
			walk(m, depth+1)
		}
	}
	walk(d.Canonical(id), 0)
	return ids, loops
}

// ErrLoginFailed is returned by Login for wrong credentials.
var ErrLoginFailed = errors.New("directory: login failed")

// Account is who a successful Login is: a local user or a peer server.
type Account struct {
	// ID is the local user's id or, with Peer set, the peer's server id.
	ID   string
	Peer bool
}

// Login checks a login's credentials (the draft's AUTHENTICATE LOGIN,
// docs/PROTOCOL.md section 5.2): the identity is a local user (its local
// part or full id) or a peer's server id. It returns who logged in, or
// ErrLoginFailed. A name nobody has, or that has no password, is compared
// against a dummy secret as costly as the configured ones (login.go), so
// that a wrong name costs what a wrong password costs.
func (d *Directory) Login(identity, password string) (Account, error) {
	p, u := d.Peer(identity), d.User(d.UserID(identity))
	if (p == nil || p.Password == nil) && (u == nil || u.Password == nil) {
		d.match(d.dummySecret(), password)
		return Account{}, ErrLoginFailed
	}
	if p != nil && d.match(p.Password, password) {
		return Account{ID: p.ServerID, Peer: true}, nil
	}
	if u != nil && d.match(u.Password, password) {
		return Account{ID: u.ID}, nil
	}
	return Account{}, ErrLoginFailed
}
