package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DefaultMaxDamagedRecords is how many damaged records Open takes out of a
// data file before it refuses to start instead (Options.MaxDamagedRecords).
const DefaultMaxDamagedRecords = 10

// Suffixes of files next to the data file.
const (
	// convertSuffix names the temporary file of a conversion to the
	// checksummed format; a crash can leave it, Open removes it.
	convertSuffix = ".convert"
	// PreChecksumSuffix names the copy of a data file from before its
	// conversion to the checksummed format, kept beside it.
	PreChecksumSuffix = ".pre-checksum"
)

// DamagedError reports a data file that Open refuses: more damaged records
// than Options.MaxDamagedRecords, or no commit marker whose checksum holds.
// Restoring a backup is the remedy.
type DamagedError struct {
	// Path names the file.
	Path string
	// Damage lists what was found (empty when no marker is readable).
	Damage []Damage
	// Max is the limit that was passed.
	Max int
}

// Error says how much is damaged, and where the first damage is.
func (e *DamagedError) Error() string {
	if len(e.Damage) == 0 {
		return fmt.Sprintf("store: %s: no readable commit marker: the file is not a checksummed data file or is damaged throughout", e.Path)
	}
	if len(e.Damage) <= e.Max {
		return fmt.Sprintf("store: %s: damaged beyond what a start searches (the first damage at offset %d)", e.Path, e.Damage[0].Offset)
	}
	d := e.Damage[0]
	return fmt.Sprintf("store: %s: %d damaged records, more than the %d allowed (the first at offset %d, key %q: %s)",
		e.Path, len(e.Damage), e.Max, d.Offset, d.Key, d.Reason)
}

// hasCheckedMarker says whether b holds a commit marker with a valid
// checksum anywhere: then b is in the checksummed format, even if its first
// record is damaged.
func hasCheckedMarker(b []byte) bool {
	pat := []byte("\r\n$" + strconv.Itoa(len(commitKey)) + "\r\n" + commitKey + "\r\n$")
	for i := 0; ; {
		j := bytes.Index(b[i:], pat)
		if j < 0 {
			return false
		}
		at := i + j + len(pat)
		i = at
		k := bytes.Index(b[at:], []byte("\r\n"))
		if k <= 0 || k > 3 {
			continue
		}
		n, err := strconv.Atoi(string(b[at : at+k]))
		start := at + k + 2
		if err != nil || start+n > len(b) {
			continue
		}
		if _, _, ok := parseMarker(string(b[start : start+n])); ok {
			return true
		}
	}
}

// prepareFile checks the existing data file before buntdb loads it:
// converts a file from before checksums, cuts a torn or damaged last
// commit, and takes damaged records elsewhere out into QuarantineDir. It
// returns the number of keys buntdb will load, reserved ones included, and
// whether the file is empty. The caller holds the lock.
func (db *DB) prepareFile() (int, bool, error) {
	b, err := os.ReadFile(db.path)
	if err != nil {
		return 0, false, fmt.Errorf("store: %w", err)
	}
	// Zeros after the data are the reserve of a DB that was not closed
	// (reserve.go): the check reads the file without them.
	size := int64(len(b))
	reserve := zeroTail(b)
	b = b[:len(b)-reserve]
	switch classifyFile(b) {
	case formatEmpty:
		return 0, true, nil
	case formatCheckedNoMarker:
		if isCheckedStart(b) {
			return 0, false, &DamagedError{Path: db.path}
		}
	case formatOld:
		if err := db.convert(); err != nil {
			return 0, false, err
		}
		if b, err = os.ReadFile(db.path); err != nil {
			return 0, false, fmt.Errorf("store: %w", err)
		}
		size, reserve = int64(len(b)), 0
	}
	res := scanChecked(b, db.opts.MaxDamagedRecords)
	for _, d := range res.tail {
		db.log.Warn("store: damage in the last commit: cut off like an interrupted append",
			"file", db.path, "offset", d.Offset, "key", d.Key, "reason", d.Reason)
	}
	if len(res.damage) > db.opts.MaxDamagedRecords || res.stopped {
		return 0, false, &DamagedError{Path: db.path, Damage: res.damage, Max: db.opts.MaxDamagedRecords}
	}
	if res.valid == 0 && len(res.damage) == 0 {
		return 0, false, &DamagedError{Path: db.path}
	}
	if len(res.damage) == 0 {
		if res.valid < size {
			if err := truncateFile(db.path, size, res.valid); err != nil {
				return 0, false, err
			}
		}
		if res.valid < res.size {
			// Zeros after an incomplete commit may be its own bytes.
			db.log.Warn("store: cut an incomplete commit off the end of the data file",
				"file", db.path, "offset", res.valid, "dropped_bytes", size-res.valid,
				"dropped_records", res.dropped)
		} else if reserve > 0 {
			db.log.Info("store: cut the space reserved ahead of the data, which a stop without closing left",
				"file", db.path, "offset", res.size, "zero_bytes", reserve)
		}
		if db.compactsAtOpen(res) {
			n, err := db.compactAtOpen(res)
			return n, false, err
		}
		return len(res.state) + 1, false, nil
	}
	stamp := time.Now().UnixNano()
	for _, d := range res.damage {
		db.log.Error("store: damaged record taken out of the data file into quarantine",
			"file", db.path, "offset", d.Offset, "end", d.End, "key", d.Key, "reason", d.Reason,
			"recovered", d.Recovered, "lost", d.Lost, "busy_spans_kept", len(d.Spans))
	}
	if err := writeQuarantine(db.dir, filepath.Base(db.path), stamp, res.damage); err != nil {
		return 0, false, err
	}
	// Keep the damaged file itself for inspection; a link costs no flash.
	keep := filepath.Join(db.dir, QuarantineDir, fmt.Sprintf("%s.%d.damaged", filepath.Base(db.path), stamp))
	if err := os.Link(db.path, keep); err != nil {
		db.log.Warn("store: could not keep the damaged data file", "err", err)
	}
	items := res.items()
	if _, renamed, err := db.replaceWithItems(items); err != nil {
		return 0, false, errRepair(err, renamed)
	}
	db.log.Warn("store: the data file was rewritten without its damaged records",
		"file", db.path, "damaged", len(res.damage), "keys", len(items))
	return len(items) + 1, false, nil
}

// isCheckedStart says whether b starts with a commit marker whose value is
// not a bare number: a checksummed file whose markers are all damaged.
func isCheckedStart(b []byte) bool {
	rp := &recordParser{p: bytesPeeker(b), keepKeys: true}
	res, err := rp.parse(0)
	if err != nil || res.status != parsedOK || res.rec.key != commitKey {
		return false
	}
	return !canonicalUint([]byte(res.rec.commitValue))
}

// convert rewrites a data file from before checksums in the checksummed
// format, crash-safely: the converted file is written to a temporary file
// and fsynced, the old file is kept under PreChecksumSuffix (a hard link),
// and the converted one is renamed over it and the directory fsynced. A
// crash leaves either the old file, which the next Open converts again, or
// the converted one.
func (db *DB) convert() error {
	if _, _, err := checkFile(db.path, true, db.log, true); err != nil {
		return err
	}
	old, err := openBunt(db.path)
	if err != nil {
		return err
	}
	items, err := snapshotItems(old, false)
	old.Close()
	if err != nil {
		return fmt.Errorf("store: convert: %w", err)
	}
	for i := range items {
		items[i].value = seal(items[i].key, items[i].value)
	}
	tmp := db.path + convertSuffix
	written, err := writeFileSynced(tmp, items)
	if err != nil {
		return fmt.Errorf("store: convert: %w", err)
	}
	db.bytesWritten.Add(written)
	keep := db.path + PreChecksumSuffix
	if err := os.Remove(keep); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: convert: %w", err)
	}
	if err := os.Link(db.path, keep); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: convert: keeping the old file: %w", err)
	}
	if err := renameFile(tmp, db.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: convert: %w", err)
	}
	if err := syncDir(db.dir); err != nil {
		return err
	}
	db.log.Info("store: converted the data file to checksummed records; the old file is kept",
		"file", db.path, "kept_as", keep, "keys", len(items))
	return nil
}

// errRepair wraps an error of the rewrite of a damaged file.
func errRepair(err error, renamed bool) error {
	if renamed {
		return err
	}
	return fmt.Errorf("store: repair: %w", err)
}
