// Package sched is cipmini's scheduler: what SENDEVENT, RSVP and FREEBUSY
// mean for the events of this server's users, kept in a store.DB.
//
// Its API is typed: Deliver, Answer and FreeBusy take an identity and
// parsed values and return typed outcomes and *Error refusals; package
// backend is the CIP door over it (it parses the data blocks and maps
// outcomes to wire codes), the HTTP face another. It knows nothing of the
// wire. It owns:
//   - the event records (eventrecord.go) and their versioning by SEQUENCE
//     and DTSTAMP, with the history of every change (history.go);
//   - authorization: who may invite a local user, change a stored event,
//     answer for an attendee and read free/busy (authority.go);
//   - the resources' automatic answers by policy and limits, atomic with
//     the booking, and their re-judging when an event moves (policy.go,
//     rejudge.go);
//   - the in-memory free/busy index, rebuilt from the store at start
//     (busyindex.go, freebusy.go), and the bookings a panel or a feed
//     shows (view.go);
//   - the outgoing queue's records (outbox.go, coalesce.go) and their index
//     (queueindex.go): the answers and forwarded events queued in the same
//     commit as the change that causes them, coalesced and bounded per
//     peer, which package courier delivers;
//   - the store cap and the events' share of it (quota.go), the retention
//     of events past their last occurrence and their yearly archive files
//     (retention.go, archive.go), and the offline check of the event
//     records (CheckData).
//
// It implements the draft, sections 1.3 and 1.7 to 1.8 (event objects,
// identifiers and versioning) and 2.2 to 2.4 (SENDEVENT, RSVP, FREEBUSY),
// and, as docs/PROTOCOL.md writes them down, sections 6 (event data), 7
// (free/busy), 9 (access rules), 10 (rooms and equipment) and 11.2 to 11.3
// (what is queued for other servers). The users, groups and rules it
// applies come from package directory.
//
// A Scheduler is safe for concurrent use: changes are serialized, so that
// a resource's decision and its booking are one atomic step; free/busy
// answers read the in-memory index.
package sched
