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
// (show_titles). The reference is a keyed hash of the UID: stable while the
// process runs, new after a restart, and no help in guessing the UID.

// refKey keys the references; it is drawn once per process.
var refKey = func() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}()

// bookingRef returns the opaque reference of a UID: 32 hex digits.
func bookingRef(uid string) string {
	m := hmac.New(sha256.New, refKey)
	m.Write([]byte(uid))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// shownUID is the UID the feed and the panel show for a booking of user:
// the UID itself with show_titles, else its reference.
func (s *Server) shownUID(user, uid string) string {
	if s.opts.ShowTitles[user] {
		return uid
	}
	return bookingRef(uid)
}

// namesBooking reports whether what a panel action names (the UID the
// panel showed, or the reference) is the booking uid.
func namesBooking(named, uid string) bool {
	return named != "" && (named == uid || hmac.Equal([]byte(named), []byte(bookingRef(uid))))
}
