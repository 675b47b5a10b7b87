package backend

import (
	"context"
	"net"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
)

// Auth checks AUTHENTICATE LOGIN credentials against a Directory
// (docs/PROTOCOL.md section 5.2): a local user logs in as itself, a peer
// with its server id. It implements cipmini.Authenticator and is safe for
// concurrent use.
type Auth struct {
	dir *directory.Directory
}

var _ cipmini.Authenticator = (*Auth)(nil)

// NewAuth returns the Authenticator over d.
func NewAuth(d *directory.Directory) *Auth { return &Auth{dir: d} }

// Login returns the session's identity for right credentials, else
// cipmini.ErrAuthFailed.
func (a *Auth) Login(_ context.Context, _ net.Addr, identity, password string) (cipmini.Identity, error) {
	acc, err := a.dir.Login(identity, password)
	if err != nil {
		return cipmini.Identity{}, cipmini.ErrAuthFailed
	}
	if acc.Peer {
		return cipmini.Identity{Kind: cipmini.Peer, Name: acc.ID}, nil
	}
	return cipmini.Identity{Kind: cipmini.User, Name: acc.ID}, nil
}
