package sched

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/store"
)

// DataReport is what CheckData found in a data directory: the store's
// report on its records, with what the event records hold.
type DataReport struct {
	*store.DataReport
	// Events counts the event records that parse, with their iCalendar
	// text; Busy the users with busy time in the rebuilt free/busy index.
	Events, Busy int
	// Unparsable lists records whose checksum holds but whose content does
	// not parse (an event that is no event record, or whose text does not
	// parse): "key: reason".
	Unparsable []string
}

// OK says whether nothing is damaged and every event record parses.
func (r *DataReport) OK() bool { return r.DataReport.OK() && len(r.Unparsable) == 0 }

// CheckData verifies the data directory dir offline, without changing
// anything: every record's framing and checksum (store.CheckData), every
// event record's parse (JSON, then its iCalendar text with cipmini/vcal),
// and the free/busy index rebuilt from them with the users of d (which may
// be nil: then the index is built without users' rules). It does not take
// the directory's lock; a server appending meanwhile may show a torn
// tail.
func CheckData(dir string, d *directory.Directory) (*DataReport, error) {
	state := map[string]string{}
	srep, err := store.CheckData(dir, func(key, value string) { state[key] = value })
	if err != nil {
		return nil, err
	}
	rep := &DataReport{DataReport: srep}
	if !srep.Checksummed {
		return rep, nil
	}
	if d == nil {
		d = directory.NewDirectory("check.invalid")
	}
	s := &Scheduler{dir: d, log: slog.New(slog.DiscardHandler), index: newBusyIndex()}
	keys := make([]string, 0, len(state))
	for k := range state {
		if strings.HasPrefix(k, eventKeyPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		r, err := unmarshalRecord(k, state[k])
		if err == nil && eventKey(r.UID) != k {
			err = fmt.Errorf("holds the event %q", r.UID)
		}
		if err == nil {
			_, err = parseStored(r)
		}
		if err == nil {
			err = s.reindex(r, nil)
		}
		if err != nil {
			rep.Unparsable = append(rep.Unparsable, fmt.Sprintf("%s: %v", k, err))
			continue
		}
		rep.Events++
	}
	rep.Busy = len(s.index.byUser)
	return rep, nil
}
