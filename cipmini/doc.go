// Package cipmini speaks CIP, the Calendaring Interoperability Protocol of
// the 1996 IETF draft (draft-ietf-calsch-cip-00) with cipmini's profile: a
// line-based protocol over TCP in which a scheduling system or another
// server sends events (SENDEVENT), answers to them (RSVP) and free/busy
// queries (FREEBUSY), each as a dot-terminated data block, and reads back
// informational lines ("* CONFIRMED bob@b.com") and a completion
// ("OK 000", "NO 007 ..."). It holds the Server, the Client, the result
// codes, and the guards every way in shares (LoginGuard, RateLimit,
// PeerTrust).
//
// # Sessions and Backends
//
// The Server owns the connection: the greeting, framing and limits, AUTHENTICATE
// (LOGIN through an Authenticator, TLS with an optional PeerTrust for other
// servers' certificates), NOOP, QUIT, timeouts and shutdown. What a data
// command means is not its business: for SENDEVENT, RSVP and FREEBUSY it
// hands the data block, with who sent it (an Identity), to a Backend and
// writes the Backend's Reply back. A Backend never sees the wire and a
// session never interprets the calendar data. A Middleware wraps a Backend
// to see every command on its way in and its reply on its way out; Chain
// composes them, as RateLimit and a metrics Observer are composed.
//
// # Limits
//
// Every limit has a default that a zero field of Server selects: a line of
// 8 KiB (DefaultMaxLineLength), a data block of 256 KiB
// (DefaultMaxDataBytes), 64 sessions (DefaultMaxConns) of which at most 32
// from one address (DefaultMaxConnsPerAddr), 5 minutes to send a line
// (DefaultReadTimeout), 1 minute to take an answer (DefaultWriteTimeout),
// 3 failed logins a session (DefaultMaxAuthFailures) and 10 an address a
// minute (DefaultMaxLoginFailuresPerMinute), each answered after a delay
// that starts at 1 second (DefaultAuthFailureDelay). A line or block over
// its limit is answered "NO 006" and the session goes on in sync; a full
// server answers "NO 007" and closes. A RateLimit caps what one client may
// have stored: 600 events (DefaultEventsPerHour) and 4 MiB
// (DefaultBytesPerHour) an hour.
//
// # Concurrency
//
// A Server serves each connection in its own goroutine, so a Backend, an
// Authenticator and every Middleware are called concurrently and must be
// safe for that; a panic in one of them is recovered, logged with its
// stack, answered "NO 007" and closes that connection only. Server's
// fields are set before Serve; Serve, Shutdown and Close may be called
// from any goroutine. A Client is one connection and is not safe for
// concurrent use.
package cipmini
