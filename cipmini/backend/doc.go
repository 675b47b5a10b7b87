// Package backend is the CIP Backend over the scheduler: the door through
// which SENDEVENT, RSVP and FREEBUSY reach a sched.Scheduler, and the
// Authenticator through which AUTHENTICATE LOGIN reaches a
// directory.Directory.
//
// For each command it parses the data block with package vcal (the only
// parse of an incoming event, answer or free/busy request), calls the
// scheduler's typed API (Deliver, Answer, FreeBusy) on behalf of the
// session's identity, and maps what comes back to informational lines and
// a completion code. Every outcome and every sched.Error becomes wire text
// here and nowhere else (replies.go), as docs/PROTOCOL.md sections 4
// (completion codes and informational lines) and 5 (the commands) write
// them down.
//
// A Backend and an Auth hold no state of their own; they are safe for
// concurrent use as far as the Scheduler and the Directory are (both are).
package backend
