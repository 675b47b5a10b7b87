package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/sched"
)

// archivedHistory describes, one line each, the copies of the event uid in
// the archive of the data directory (events the nightly step retired):
// the archive file, SEQUENCE, first occurrence, whether it was cancelled,
// the organizer and each attendee's answer. None found is no error. It
// only reads, so it works while the server runs.
func archivedHistory(dataDir, uid string) ([]string, error) {
	found, err := sched.FindArchived(dataDir, uid)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range found {
		out = append(out, describeArchived(a))
	}
	return out, nil
}

// describeArchived is archivedHistory's line for one archived copy.
func describeArchived(a sched.ArchivedEvent) string {
	ev := a.Event
	state := "held"
	if ev.Cancelled {
		state = "cancelled"
	}
	var answers []string
	for _, p := range ev.Attendees {
		st := p.PartStat
		if st == "" {
			st = "NEEDS-ACTION"
		}
		answers = append(answers, p.Address+" "+st)
	}
	sort.Strings(answers)
	line := fmt.Sprintf("archived in %s: SEQUENCE %d, %s to %s, %s, organizer %s",
		a.File, ev.Sequence, ev.Start.UTC().Format(time.RFC3339), ev.End.UTC().Format(time.RFC3339), state,
		ev.Organizer.Address)
	if len(answers) > 0 {
		line += "; " + strings.Join(answers, ", ")
	}
	return line
}
