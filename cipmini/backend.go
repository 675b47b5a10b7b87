package cipmini

import (
	"context"
	"net"
)

// IdentityKind tells who a session has authenticated as.
type IdentityKind int

const (
	Anonymous IdentityKind = iota // no successful AUTHENTICATE yet
	User                          // a local user of this server
	Peer                          // another CIP server, by its server id
	// Mail is a sender whose From address the mail door checked against
	// the message's ORGANIZER or ATTENDEE (docs/PROTOCOL.md section 16.4).
	Mail
)

// Identity is who a session is. The zero value is anonymous.
type Identity struct {
	Kind IdentityKind
	// Name is the full user id ("bill@abc.com") for a User, the server id
	// ("a.com") for a Peer, the mail address for Mail, and empty for
	// Anonymous.
	Name string
}

// Request is what the session hands a Backend for one data command.
type Request struct {
	Identity   Identity
	RemoteAddr net.Addr
	// TLS reports whether the connection is encrypted.
	TLS bool
	// Data is the command's data block with dot-stuffing removed, every line
	// ending in CRLF (a bare-LF line is given a CR). It is valid only during the
	// call: a Backend that keeps it must copy it.
	Data []byte
}

// Reply is a Backend's answer to a data command.
type Reply struct {
	// Data, when non-nil, is sent as a data block ("+" line, dot-stuffed lines,
	// ".") before the informational lines. Only FREEBUSY returns data.
	Data       []byte
	Info       []Info
	Completion Completion
}

// Backend carries out the data commands. The Server calls it from one
// goroutine per connection, so implementations must be safe for concurrent use.
// A panic inside a Backend method is recovered by the Server, logged with its
// stack, answered "NO 007" and closes that connection only.
type Backend interface {
	SendEvent(ctx context.Context, req *Request) *Reply
	RSVP(ctx context.Context, req *Request) *Reply
	FreeBusy(ctx context.Context, req *Request) *Reply
}

// Authenticator checks AUTHENTICATE LOGIN credentials. It returns the identity
// the session takes on success, or ErrAuthFailed. Any other error is answered
// "NO 007" (temporary failure). It must be safe for concurrent use.
type Authenticator interface {
	Login(ctx context.Context, remote net.Addr, identity, password string) (Identity, error)
}
