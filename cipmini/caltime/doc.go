// Package caltime handles the dates, times, time zones, durations and
// recurrences found in calendar data: iCalendar 2.0 (RFC 5545), vCalendar 1.0
// and the bare property lines of the CIP draft.
//
// Parsing is strict about ranges (month 13, hour 25 or February 30 are
// errors, never normalized) and lenient about spelling (lower-case "t" and
// "z", missing seconds, numeric offsets such as "-0500" or "-05:00", and the
// dashed ISO 8601 form).
//
// Time zones resolve in this order: a VTIMEZONE given with the data (its
// rules become a real *time.Location, so every later computation follows
// them), then an IANA name (the tz database is embedded, so a device without
// /usr/share/zoneinfo works), then a Windows zone name as Outlook sends it.
//
// Recurrences (RRULE, RDATE, EXDATE and RECURRENCE-ID overrides) expand
// with bounded work: rules with a simple fixed interval jump ahead
// arithmetically, every expansion stops at the query window, and a query
// that would return too many instances ends with ErrTooManyInstances.
//
// Wall-clock times that fall into a daylight-saving gap are moved forward by
// the length of the gap, and ambiguous wall-clock times take the first of
// their two instants, as RFC 5545 section 3.3.5 prescribes.
package caltime
