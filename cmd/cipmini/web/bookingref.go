package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// A booking's UID is what a client needs to change the event, so the ICS
// feed and the panel state, which anyone on the network may read, name
// bookings by an opaque reference instead, unless the user shows titles
// (show_titles). The reference is a keyed hash of the UID (HMAC-SHA-256,
// 128 bits shown): no help in guessing the UID, and stable for as long as
// the key is (Options.RefKey; the daemon keeps it in its data directory, so
// that a calendar subscribed to the feed sees the same events after a
// restart).

// RefKeySize is the length of Options.RefKey.
const RefKeySize = 32

// NewRefKey returns a new random key for Options.RefKey.
func NewRefKey() []byte {
	k := make([]byte, RefKeySize)
	rand.Read(k) // never fails (crypto/rand, Go 1.24 and later)
	return k
}

// bookingRef returns the opaque reference of a UID under key: 32 hex digits.
func bookingRef(key []byte, uid string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(uid))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// shownUID is the UID the feed and the panel show for a booking of user:
// the UID itself with show_titles, else its reference.
func (s *Server) shownUID(user, uid string) string {
	if s.opts.ShowTitles[user] {
		return uid
	}
	return bookingRef(s.opts.RefKey, uid)
}

// namesBooking reports whether what a panel action names (the UID the
// panel showed, or the reference) is the booking uid.
func (s *Server) namesBooking(named, uid string) bool {
	return named != "" && (named == uid || hmac.Equal([]byte(named), []byte(bookingRef(s.opts.RefKey, uid))))
}
