// Package directory is who and what a cipmini server knows: its server id
// and aliases, its local users (people, rooms and equipment, with their
// access rules and a resource's policy and booking limits), the peer
// servers it trusts, moved users and events, groups, and the login
// secrets of users and peers (bcrypt hashes, compared in constant time,
// with a dummy hash for unknown names so that a wrong name costs what a
// wrong password costs).
//
// It implements the identifiers of the draft, sections 1.5 and 1.6, and
// of docs/PROTOCOL.md section 8 (user ids, aliases, moved users, groups
// with a depth limit); the login of the draft, section 2.1, and of
// docs/PROTOCOL.md sections 5.2 and 9.5 (Directory.Login, which package
// backend makes the CIP server's Authenticator); and the configuration
// side of docs/PROTOCOL.md sections 9 and 10 (who may invite, who may read
// free/busy, a resource's policy and limits). Deciding on an invitation by
// those rules is the scheduler's work, not this package's.
//
// A Directory is built once from the configuration and not changed
// afterwards; it is then safe for concurrent use.
package directory
