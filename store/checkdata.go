package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cipmini/cipmini/cipmini/directory"
)

// DataReport is what CheckData found in a data directory.
type DataReport struct {
	// Path is the data file; Size its size.
	Path string
	Size int64
	// Checksummed says that the file is in the checksummed format; a file
	// from before it is checked for framing only.
	Checksummed bool
	// Records, Commits and Keys count the intact records, commits and
	// live keys.
	Records, Commits, Keys int
	// Events counts the event records that parse, with their iCalendar
	// text; Busy the users with busy time in the rebuilt free/busy index.
	Events, Busy int
	// Damage lists every damaged record or region, with what it holds,
	// in file order. Tail ones lie in the last commit, which a start cuts.
	Damage []Damage
	// Unparsable lists records whose checksum holds but whose content does
	// not parse (an event that is no event record, or whose text does not
	// parse): "key: reason".
	Unparsable []string
	// Quarantined counts the records already in QuarantineDir.
	Quarantined int
}

// OK says whether nothing is damaged.
func (r *DataReport) OK() bool { return len(r.Damage) == 0 && len(r.Unparsable) == 0 }

// maxReportedDamage bounds the damaged records CheckData reports.
const maxReportedDamage = 1000

// CheckData verifies the data directory dir offline, without changing
// anything: every record's framing and checksum, every event record's
// parse (JSON, then its iCalendar text with cipmini/vcal), and the
// free/busy index rebuilt from them with the users of d (which may be
// nil: then the index is built without users' rules). It does not take
// the directory's lock; a server appending meanwhile may show a torn
// tail.
func CheckData(dir string, d *directory.Directory) (*DataReport, error) {
	path := filepath.Join(dir, DefaultFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: check: %w", err)
	}
	rep := &DataReport{Path: path, Size: int64(len(b))}
	q, err := ReadQuarantine(dir)
	if err != nil {
		return nil, err
	}
	rep.Quarantined = len(q)
	state := map[string]string{}
	format := classifyFile(b)
	if format == formatOld {
		// From before checksums: framing only.
		r, _, err := checkFile(path, false, slog.New(slog.DiscardHandler), true)
		var ce *CorruptError
		if errors.As(err, &ce) {
			rep.Damage = append(rep.Damage, Damage{Offset: ce.Offset, Reason: ce.Reason})
			return rep, nil
		}
		if err != nil {
			return nil, err
		}
		rep.Records, rep.Commits, rep.Keys = r.Records, r.Commits, r.Keys
		return rep, nil
	}
	rep.Checksummed = true
	res := scanChecked(b, maxReportedDamage)
	rep.Records, rep.Commits, rep.Keys = res.records, res.commits, len(res.state)
	rep.Damage = append(append(rep.Damage, res.damage...), res.tail...)
	if format == formatCheckedNoMarker && len(rep.Damage) == 0 {
		rep.Damage = append(rep.Damage, Damage{Offset: 0, End: rep.Size, Reason: noMarkerReason})
	}
	sort.SliceStable(rep.Damage, func(i, j int) bool { return rep.Damage[i].Offset < rep.Damage[j].Offset })
	for k, v := range res.state {
		state[k], _ = unseal(k, v)
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
