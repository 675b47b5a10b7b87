// Package courier delivers the outgoing queue to other CIP servers: the
// answers of local resources and the events forwarded to remote
// attendees that the scheduler queued in the store, in the same commit
// as the change that caused them.
//
// A Courier connects to each peer through a Dialer (SRV lookup, or the
// configuration's static address), over TLS when configured, logs in with
// the peer's login password or authenticates by its certificate, sends the
// message as a SENDEVENT or an RSVP, and records the outcome: an OK
// deletes the message, a final NO or the end of the Backoff keeps it as
// failed, anything else tries again later. REDIRECT USER and REDIRECT
// EVENT answers queue the message anew for the new address or UID, a
// bounded number of times.
//
// It implements contacting servers and retrying, the draft, sections 1.9,
// 2.2 and 2.3 (for the sending side), and docs/PROTOCOL.md section 11
// (finding a server, the queue, authenticating to a peer, redirects and
// the hop limit) and section 12.5 (dialling out over TLS).
package courier
