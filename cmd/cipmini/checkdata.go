package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/store"
)

// errDamaged is the error of check --data on a damaged data file; the
// report is already written.
var errDamaged = fmt.Errorf("cipmini: the data file is damaged")

// checkData verifies a data directory offline and reports what is damaged
// (offset, key) and what it holds. It fails on damage.
func checkData(dataDir string, cfg *Config, stdout io.Writer) error {
	var d *directory.Directory
	if cfg != nil {
		d, _ = cfg.Directory()
	}
	rep, err := sched.CheckData(dataDir, d)
	if err != nil {
		return err
	}
	format := "checksummed"
	if !rep.Checksummed {
		format = "from before checksums (framing checked only; the next start converts it)"
	}
	fmt.Fprintf(stdout, "data file %s: %d bytes, %s: %d intact records in %d commits, %d keys, %d events, busy time of %d users\n",
		rep.Path, rep.Size, format, rep.Records, rep.Commits, rep.Keys, rep.Events, rep.Busy)
	for _, dm := range rep.Damage {
		var b strings.Builder
		fmt.Fprintf(&b, "damaged: offset %d", dm.Offset)
		if dm.End > dm.Offset {
			fmt.Fprintf(&b, " to %d", dm.End)
		}
		fmt.Fprintf(&b, ", key %q: %s", dm.Key, dm.Reason)
		switch {
		case dm.Tail:
			b.WriteString("; in the last commit: a start cuts it like an interrupted write")
		case dm.Recovered:
			b.WriteString("; the record is proven intact by its checksum: nothing is lost")
		case dm.Lost != "":
			fmt.Fprintf(&b, "; lost: the value of %q", dm.Lost)
		}
		for _, sp := range dm.Spans {
			fmt.Fprintf(&b, "; holds busy time %s/%s", time.Unix(sp[0], 0).UTC().Format(time.RFC3339), time.Unix(sp[1], 0).UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(stdout, b.String())
	}
	for _, u := range rep.Unparsable {
		fmt.Fprintln(stdout, "unparsable:", u)
	}
	if rep.Quarantined > 0 {
		fmt.Fprintf(stdout, "%d damaged records taken out earlier are in %s\n", rep.Quarantined, store.QuarantineDir)
	}
	if rep.Reserved > 0 {
		fmt.Fprintf(stdout, "%d zero bytes after the data: space a running server reserves ahead of its data (left by a stop without closing, the next start cuts it)\n", rep.Reserved)
	}
	if !rep.OK() {
		fmt.Fprintf(stdout, "DAMAGED: %d damaged, %d unparsable\n", len(rep.Damage), len(rep.Unparsable))
		return errDamaged
	}
	fmt.Fprintln(stdout, "data OK")
	return nil
}
