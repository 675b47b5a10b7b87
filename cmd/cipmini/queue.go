package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/cipmini/cipmini/cipmini/sched"
)

// cmdQueue lists the outgoing queue: each message's state, tries and next
// try. While a server runs (the store is locked) it reads a checked copy of
// the data file, as backup does.
func cmdQueue(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("queue", stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded demo configuration)")
	data := fs.String("data", "", "data `directory`, overriding the configuration")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir, err := dataDirOf(*data, *configPath)
	if err != nil {
		return err
	}
	db, done, err := openStoreForReading(dir, "queue", stderr)
	if err != nil {
		return err
	}
	defer done()
	msgs, err := sched.Queue(db)
	if err != nil {
		return err
	}
	st, err := sched.ReadQueueStats(db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d coalesced (replaced by a newer message before they were sent), %d dropped at the per-peer cap\n",
		st.Coalesced, st.Dropped)
	if len(msgs) == 0 {
		fmt.Fprintln(stdout, "the outgoing queue is empty")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATE\tTO\tCOMMAND\tUID\tTRIES\tNEXT TRY\tLAST ERROR")
	for _, m := range msgs {
		next := "-"
		if m.State == sched.OutQueued {
			next = time.Unix(m.NextTry, 0).UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, m.State, m.To, m.Verb, m.UID, m.Tries, next, m.LastError)
	}
	return w.Flush()
}
