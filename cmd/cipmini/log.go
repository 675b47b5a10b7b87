package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cipmini/cipmini/cipmini/sched"
)

// cmdLog prints an event's history from the store: who changed it, how,
// and what the local participants answered, newest last; then what the
// archive of retired events holds about it (archive.go). It reads the
// data directory, as queue does: a checked copy of the data file while a
// server runs. An event neither stored nor archived is an error.
func cmdLog(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("log", stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded demo configuration)")
	data := fs.String("data", "", "data `directory`, overriding the configuration")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: cipmini log UID [--config FILE] [--data DIR]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// The UID may come before the flags or after them.
	var uids []string
	for fs.NArg() > 0 {
		uids = append(uids, fs.Arg(0))
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return err
		}
	}
	if len(uids) != 1 {
		fs.Usage()
		return errUsage
	}
	dir, err := dataDirOf(*data, *configPath)
	if err != nil {
		return err
	}
	h, err := eventHistory(dir, uids[0], stderr)
	if err != nil {
		return err
	}
	archived, err := sched.FindArchived(dir, uids[0])
	if err != nil {
		return err
	}
	if h == nil && len(archived) == 0 {
		return fmt.Errorf("cipmini: no event %s is stored in %s or its archive", uids[0], dir)
	}
	if h != nil {
		printHistory(stdout, h)
	}
	for _, a := range archived {
		fmt.Fprintln(stdout, describeArchived(a))
		if len(a.History) > 0 {
			printEntries(stdout, a.History)
		}
	}
	return nil
}

// eventHistory reads the history of the event uid from the data directory
// dir, or nil when no such event is stored. While a server holds the store
// it reads a checked copy of the data file, so it never waits for the
// server nor disturbs it. Warnings go to stderr.
func eventHistory(dir, uid string, stderr io.Writer) (*sched.EventHistory, error) {
	db, done, err := openStoreForReading(dir, "log", stderr)
	if err != nil {
		return nil, err
	}
	defer done()
	return sched.History(db, uid)
}

// printHistory writes an event's state and history as a table.
func printHistory(w io.Writer, h *sched.EventHistory) {
	state := "stored"
	switch {
	case h.Cancelled:
		state = "cancelled"
	case h.Textless:
		state = "declined (only the answer is kept)"
	}
	fmt.Fprintf(w, "event %s\norganizer %s, sequence %d, %s\n", h.UID, h.Owner, h.Sequence, state)
	if len(h.Holders) > 0 {
		fmt.Fprintf(w, "answers now: %s\n", answerList(h.Holders))
	}
	if len(h.Entries) == 0 {
		fmt.Fprintln(w, "no history is kept for this event (stored by an older version)")
		return
	}
	printEntries(w, h.Entries)
}

// printEntries writes history entries as a table, oldest first.
func printEntries(w io.Writer, entries []sched.HistoryEntry) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tBY\tCHANGE\tSEQ\tANSWERS\tREASON")
	for _, e := range entries {
		var reasons []string
		for u, r := range e.Reasons {
			reasons = append(reasons, u+": "+r)
		}
		sort.Strings(reasons)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", time.Unix(e.Time, 0).UTC().Format(time.RFC3339), e.By, e.Change,
			e.Sequence, answerList(e.Answers), strings.Join(reasons, "; "))
	}
	tw.Flush()
}

// answerList renders answers as "user=PARTSTAT" in user order.
func answerList(m map[string]string) string {
	users := make([]string, 0, len(m))
	for u := range m {
		users = append(users, u)
	}
	sort.Strings(users)
	for i, u := range users {
		users[i] = u + "=" + m[u]
	}
	if len(users) == 0 {
		return "-"
	}
	return strings.Join(users, " ")
}
