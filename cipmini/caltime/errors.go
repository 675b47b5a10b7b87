package caltime

import (
	"errors"
	"fmt"
)

// ErrTooManyInstances is returned by Recurrence.Between when more instances
// than the given maximum overlap the window. The instances that are returned
// with it are the earliest ones, up to the maximum.
var ErrTooManyInstances = errors.New("caltime: too many instances")

// ErrExpansionLimit is returned when a recurrence rule needs more work than
// the expansion limit allows before it reaches the query window, for
// example a rule with COUNT whose instances are rare and far apart.
var ErrExpansionLimit = errors.New("caltime: recurrence needs too much work to expand")

// ErrUnknownTZID is wrapped by the error returned for a TZID that is neither
// defined by a VTIMEZONE, nor an IANA zone, nor a Windows zone name.
var ErrUnknownTZID = errors.New("caltime: unknown time zone")

// maxQuoted is how much of a bad value an error message repeats.
const maxQuoted = 48

// quote returns v quoted for an error message, shortened when long.
func quote(v string) string {
	if len(v) > maxQuoted {
		return fmt.Sprintf("%q...", v[:maxQuoted])
	}
	return fmt.Sprintf("%q", v)
}
