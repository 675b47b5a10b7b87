package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
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
	// Damage lists every damaged record or region, with what it holds,
	// in file order. Tail ones lie in the last commit, which a start cuts.
	Damage []Damage
	// Quarantined counts the records already in QuarantineDir.
	Quarantined int
	// Reserved counts the zero bytes after the data: the space an open DB
	// reserves ahead of its data (an open DB's file, or one a stop
	// without Close left), which the next Open cuts. No damage.
	Reserved int64
}

// OK says whether nothing is damaged.
func (r *DataReport) OK() bool { return len(r.Damage) == 0 }

// maxReportedDamage bounds the damaged records CheckData reports.
const maxReportedDamage = 1000

// CheckData verifies the data directory dir offline, without changing
// anything: every record's framing and checksum. Of a file in the
// checksummed format, it then gives each intact live key and its plain
// value to each, in key order, unless each is nil, so that the owner of
// the values can check their content. It does not take the directory's
// lock; a server appending meanwhile may show a torn tail.
func CheckData(dir string, each func(key, value string)) (*DataReport, error) {
	path := filepath.Join(dir, DefaultFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: check: %w", err)
	}
	rep := &DataReport{Path: path, Size: int64(len(b))}
	reserved := zeroTail(b)
	b = b[:len(b)-reserved]
	rep.Reserved = int64(reserved)
	q, err := ReadQuarantine(dir)
	if err != nil {
		return nil, err
	}
	rep.Quarantined = len(q)
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
	if each == nil {
		return rep, nil
	}
	keys := make([]string, 0, len(res.state))
	for k := range res.state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := unseal(k, res.state[k])
		each(k, v)
	}
	return rep, nil
}
