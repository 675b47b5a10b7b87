package sched

import "github.com/cipmini/cipmini/cipmini/directory"

// IdentityKind tells who asks the Scheduler for something.
type IdentityKind int

// The kinds of Identity.
const (
	// Anonymous: a client that did not log in.
	Anonymous IdentityKind = iota
	// User: a local user, logged in as itself.
	User
	// Peer: another server, logged in with its server id.
	Peer
	// Mail: the sender of a message that came in by the mail door, its
	// From address checked (docs/PROTOCOL.md section 16.4). It speaks for
	// that address only, never for a local user.
	Mail
)

// Identity is who asks: the access rules judge it (docs/PROTOCOL.md section
// 9). The zero value is anonymous.
type Identity struct {
	Kind IdentityKind
	// Name is the local user's id, the peer's server id or the mail
	// sender's address; "" when anonymous.
	Name string
}

// IdentityOf returns the Identity of a successful directory login.
func IdentityOf(a directory.Account) Identity {
	if a.Peer {
		return Identity{Kind: Peer, Name: a.ID}
	}
	return Identity{Kind: User, Name: a.ID}
}

// authenticated reports whether a client logged in at all.
func authenticated(id Identity) bool { return id.Kind != Anonymous }
