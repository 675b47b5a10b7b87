package sched

// The verbs of an OutMessage: the CIP command that carries it to the other
// server (docs/PROTOCOL.md section 11.3), as OutMessage.Verb spells it.
const (
	VerbSendEvent = "SENDEVENT"
	VerbRSVP      = "RSVP"
)
