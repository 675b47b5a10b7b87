// Package imip is cipmini's mail door: rooms and equipment booked by
// e-mail, the way Outlook, Google Calendar, Apple Calendar and Thunderbird
// invite a room (iMIP, RFC 6047, carrying iTIP, RFC 5546), as
// docs/PROTOCOL.md section 16 writes it down.
//
// The door has three parts:
//   - reading (extract.go): the iTIP part of a MIME message, text/calendar
//     with a method or an application/ics attachment, found within bounds on
//     the message's size, its number of parts and their nesting; the
//     calendar data then goes through package vcal's bounded parser;
//   - judging (screen.go, trust.go): mail never to answer (bounces,
//     auto-replies, loops) is dropped, and the sender must be the
//     ORGANIZER of a REQUEST or CANCEL or the ATTENDEE of a REPLY, with an
//     Authentication-Results header (RFC 8601) of the trusted relay when
//     that is required;
//   - the SMTP listener (server.go, door.go), which hands what passed to a
//     cipmini.Backend as a SENDEVENT or RSVP of a cipmini.Mail identity,
//     and the REPLY sent back (reply.go, mailer.go) through the office's
//     relay from the persistent outbox.
//   - the IMAP poller (poll.go), which hands the messages of a polled
//     mailbox to the same Door, then flags and moves each one, exactly once
//     across restarts.
//
// Everything here is safe for concurrent use unless a type says otherwise.
package imip
