package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cipmini/cipmini/store"
)

// archivedHistory describes, one line each, the copies of the event uid in
// the archive of the data directory (events the nightly step retired):
// the archive file, SEQUENCE, first occurrence, whether it was cancelled,
// the organizer and each attendee's answer. None found is no error. It
// only reads, so it works while the server runs.
func archivedHistory(dataDir, uid string) ([]string, error) {
	found, err := store.FindArchived(dataDir, uid)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range found {
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
		out = append(out, line)
	}
	return out, nil
}

// cmdArchiveLog is `cipmini log [--config FILE] [--data DIR] UID`: what the
// archive of retired events holds about UID, one line per archived copy.
func cmdArchiveLog(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("log", stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded demo configuration)")
	data := fs.String("data", "", "data `directory`, overriding the configuration")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: cipmini log [--config FILE] [--data DIR] UID")
		return errUsage
	}
	dir := *data
	if dir == "" {
		cfg, err := loadConfig(*configPath)
		if err != nil {
			return err
		}
		dir = cfg.DataDir
	}
	uid := fs.Arg(0)
	lines, err := archivedHistory(dir, uid)
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		fmt.Fprintf(stdout, "%s: not in the archive\n", uid)
		return nil
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return nil
}
