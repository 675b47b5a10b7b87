package store

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Report describes a data file as CheckFile found it.
type Report struct {
	// Size is the size of the file in bytes when it was checked.
	Size int64
	// Valid is the length of the intact prefix of the file: Size, unless
	// the file ended inside its last commit.
	Valid int64
	// Records is the number of records in the intact prefix.
	Records int
	// Commits is the number of commits in the intact prefix. In a file
	// without commit markers every record counts as a commit.
	Commits int
	// Keys is the number of live keys after replaying the intact prefix
	// (keys reserved by the package are not counted).
	Keys int
	// Marked says that the file carries commit markers, as every file this
	// package writes does.
	Marked bool
	// DroppedBytes is the size of the incomplete last commit, cut off the
	// end of the file; zero for a file that ends cleanly.
	DroppedBytes int64
	// DroppedRecords is the number of complete records that the
	// incomplete last commit held; they were cut off with it.
	DroppedRecords int
	// ReservedBytes is the number of zero bytes after the data: the space
	// an open DB reserves ahead of its data, left by a stop without Close.
	// They are not corruption, and are cut off when the file is repaired.
	// Zeros after an incomplete last commit count in DroppedBytes instead.
	ReservedBytes int64
}

// CorruptError reports a data file that cannot be read safely: a record
// with bad syntax, a length field beyond the limits, an unknown command, a
// region of zero bytes, or a broken sequence of commit markers. Nothing is
// repaired automatically; restoring a backup is the usual remedy.
type CorruptError struct {
	// Path names the file.
	Path string
	// Offset is the byte offset of the record that is corrupt.
	Offset int64
	// Reason says what is wrong.
	Reason string
}

// Error formats the error as "store: <path>: corrupt record at offset <n>: <reason>".
func (e *CorruptError) Error() string {
	return fmt.Sprintf("store: %s: corrupt record at offset %d: %s", e.Path, e.Offset, e.Reason)
}

// CheckFile checks the buntdb data file at path before it is opened, and
// cuts off an incomplete last commit.
//
// The checker reads the file through a fixed window: it reads the headers
// and keys of the records and skips values. Every length field is checked
// against MaxKeySize, MaxValueSize and the bytes left in the file before
// anything is read or allocated for it, so a corrupt file costs no more
// memory than its keys and no more time than one pass.
//
// Outcomes:
//   - A file that ends cleanly, or is empty, gives a Report and no error.
//   - A file that ends inside its last commit (inside its last record, for
//     a file without commit markers) is cut back to the end of the last
//     complete commit: that is what an interrupted append leaves. CheckFile
//     truncates and fsyncs the file, logs a warning with slog.Default()
//     naming the file, the offset and the bytes dropped, and reports
//     DroppedBytes. The incomplete part is recognised only if every byte
//     of it that is present is well formed, and, when a length field in it
//     claims more bytes than the file holds, no complete well-formed
//     record starts after a CRLF within the bytes it would swallow: an
//     interrupted append never leaves complete records behind a partial
//     one, so such a length field is corrupt.
//   - Anything else is a *CorruptError naming the offset of the bad
//     record, and the file is left untouched. In a file with checksums a
//     record that fails its checksum is such an error too. Zero bytes where a record
//     should start are corruption (buntdb itself would skip them), except
//     zeros that run to the end of the file after the data: the space an
//     open DB reserves ahead of its data, reported as ReservedBytes and
//     cut off when the file is repaired.
//
// Truncating takes the directory's lock file (LockFileName, created if
// missing), so CheckFile fails with ErrLocked instead of cutting a file
// that an open DB is appending to. A file that needs no repair is only
// read. CheckFile is safe for concurrent use.
func CheckFile(path string) (Report, error) {
	rep, _, err := checkFile(path, true, slog.Default(), false)
	return rep, err
}

// checkFile checks path and, when repair is set, cuts an incomplete last
// commit. lockHeld says that the caller holds the directory's lock. It
// also returns the number of live keys including reserved ones, which is
// what buntdb will hold after opening the file.
func checkFile(path string, repair bool, log *slog.Logger, lockHeld bool) (Report, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, 0, fmt.Errorf("store: check: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Report{}, 0, fmt.Errorf("store: check: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Report{}, 0, fmt.Errorf("store: check: %s is not a regular file", path)
	}
	reserved, err := fileZeroTail(f, fi.Size())
	if err != nil {
		return Report{}, 0, fmt.Errorf("store: check: %w", err)
	}
	rep, rawKeys, err := scanFile(newFilePeeker(f, fi.Size()-reserved), path, fi.ModTime(), time.Now())
	if rep.DroppedBytes > 0 {
		// Zeros after an incomplete commit may be its own bytes.
		rep.DroppedBytes, reserved = rep.DroppedBytes+reserved, 0
	}
	rep.Size, rep.ReservedBytes = fi.Size(), reserved
	if err == nil {
		err = verifySums(f, path, rep.Valid)
	}
	if err != nil || rep.DroppedBytes == 0 && reserved == 0 || !repair {
		return rep, rawKeys, err
	}
	if !lockHeld {
		lock, err := lockDir(filepath.Dir(path))
		if err != nil {
			return rep, rawKeys, err
		}
		defer lock.release()
	}
	if err := truncateFile(path, rep.Size, rep.Valid); err != nil {
		return rep, rawKeys, err
	}
	if rep.DroppedBytes > 0 {
		log.Warn("store: cut an incomplete commit off the end of the data file",
			"file", path, "offset", rep.Valid, "dropped_bytes", rep.DroppedBytes,
			"dropped_records", rep.DroppedRecords)
	}
	if reserved > 0 {
		// Expected in a copy of a live file; Open says it at info.
		log.Debug("store: cut the space reserved ahead of the data",
			"file", path, "offset", rep.Size-reserved, "zero_bytes", reserved)
	}
	return rep, rawKeys, nil
}

// verifySums checks the checksums of the first valid bytes of a file in
// the checksummed format: the first damaged record is a *CorruptError.
func verifySums(f *os.File, path string, valid int64) error {
	b := make([]byte, valid)
	if _, err := f.ReadAt(b, 0); err != nil {
		return fmt.Errorf("store: check: %w", err)
	}
	format := classifyFile(b)
	if format == formatOld || format == formatEmpty {
		return nil
	}
	res := scanChecked(b, 0)
	all := append(res.damage, res.tail...)
	if len(all) > 0 {
		d := all[0]
		return &CorruptError{Path: path, Offset: d.Offset, Reason: fmt.Sprintf("key %q: %s", d.Key, d.Reason)}
	}
	if format == formatCheckedNoMarker {
		return &CorruptError{Path: path, Offset: 0, Reason: noMarkerReason}
	}
	return nil
}

// truncateFile cuts path from size to valid bytes and fsyncs it.
func truncateFile(path string, size, valid int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: repair: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: repair: %w", err)
	}
	if fi.Size() != size {
		return fmt.Errorf("store: repair: %s changed while it was being checked", path)
	}
	if err := f.Truncate(valid); err != nil {
		return fmt.Errorf("store: repair: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: repair: fsync %s: %w", path, err)
	}
	return f.Close()
}

// replayer replays a file's records the way buntdb loads them.
type replayer struct {
	keys    map[string]struct{}
	modTime time.Time
	now     time.Time
}

// apply replays one record.
func (s *replayer) apply(r *aofRecord) {
	switch r.kind {
	case kindSet:
		if !r.expiring {
			s.keys[r.key] = struct{}{}
			return
		}
		// The same arithmetic as buntdb's load: an item already expired
		// is not inserted, and does not remove an older value either.
		var exat time.Time
		if r.relative {
			dur := (time.Duration(r.expire) * time.Second) - s.now.Sub(s.modTime)
			exat = s.now.Add(dur)
		} else {
			exat = time.Unix(r.expire, 0)
		}
		if exat.After(s.now) {
			s.keys[r.key] = struct{}{}
		}
	case kindDel:
		delete(s.keys, r.key)
	case kindFlush:
		clear(s.keys)
	}
}

// scanFile parses every record of p. modTime and now give the time base
// for expiring records, as buntdb uses them.
func scanFile(p peeker, path string, modTime, now time.Time) (Report, int, error) {
	rp := &recordParser{p: p, keepKeys: true}
	s := &replayer{keys: make(map[string]struct{}), modTime: modTime, now: now}
	rep := Report{Size: p.size()}
	var (
		off        int64
		group      []aofRecord // the records of the open commit
		groupStart int64
		groupLen   int // records the open commit's marker announced
	)
	for off < p.size() {
		res, err := rp.parse(off)
		if err != nil {
			return rep, 0, fmt.Errorf("store: check %s: %w", path, err)
		}
		if res.status == parsedCorrupt {
			return rep, 0, &CorruptError{Path: path, Offset: off, Reason: res.reason}
		}
		if res.status == parsedTorn {
			if res.payloadOff > 0 {
				at, found, err := findCompleteRecord(p, res.payloadOff)
				if err != nil {
					return rep, 0, fmt.Errorf("store: check %s: %w", path, err)
				}
				if found {
					return rep, 0, &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(
						"a length field claims bytes beyond the end of the file, but a complete record follows at byte %d", at)}
				}
			}
			break
		}
		rec := res.rec
		if off == 0 {
			rep.Marked = rec.kind == kindSet && rec.key == commitKey && !rec.expiring
		}
		if !rep.Marked {
			s.apply(&rec)
			rep.Records++
			rep.Commits++
			rep.Valid = rec.end
			off = rec.end
			continue
		}
		if len(group) == 0 {
			groupStart = off
		}
		if rec.key == commitKey {
			if rec.kind != kindSet || rec.expiring {
				return rep, 0, &CorruptError{Path: path, Offset: off, Reason: "a commit marker record that is not a plain set"}
			}
			n, ok := markerCount(rec.commitValue)
			if !ok {
				return rep, 0, &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(
					"commit marker holds %q, not a record count", rec.commitValue)}
			}
			if groupLen != 0 {
				return rep, 0, &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(
					"a second commit marker in the commit that starts at byte %d", groupStart)}
			}
			if n < len(group)+1 {
				return rep, 0, &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(
					"commit marker counts %d records but is record %d of the commit that starts at byte %d",
					n, len(group)+1, groupStart)}
			}
			groupLen = n
		}
		group = append(group, rec)
		if len(group) == groupLen {
			for i := range group {
				s.apply(&group[i])
			}
			rep.Records += len(group)
			rep.Commits++
			rep.Valid = rec.end
			group, groupLen = group[:0], 0
		}
		off = rec.end
	}
	rep.DroppedBytes = rep.Size - rep.Valid
	if rep.DroppedBytes > 0 && rep.Marked {
		rep.DroppedRecords = len(group)
	}
	rawKeys := len(s.keys)
	rep.Keys = rawKeys
	if _, ok := s.keys[commitKey]; ok {
		rep.Keys--
	}
	return rep, rawKeys, nil
}

// markerCount reads the record count of a commit marker, written with a
// checksum or, before checksums, as a bare number.
func markerCount(v string) (int, bool) {
	if canonicalUint([]byte(v)) {
		n, err := strconv.Atoi(v)
		return n, err == nil && n >= 1 && n <= maxCommitCount
	}
	n, _, ok := parseMarker(v)
	return n, ok
}

// findCompleteRecord looks for a complete, well-formed record that starts
// after a CRLF in the bytes from off to the end of the file, which a torn
// element claims. Those bytes are fewer than the element's length, which
// the parser has checked against the limits, so reading them is bounded.
func findCompleteRecord(p peeker, off int64) (int64, bool, error) {
	region := make([]byte, 0, p.size()-off)
	for o := off; o < p.size(); {
		b, err := p.peek(o, maxPeek)
		if err != nil {
			return 0, false, err
		}
		region = append(region, b...)
		o += int64(len(b))
	}
	rp := &recordParser{p: bytesPeeker(region)}
	for i := 0; i < len(region); {
		j := bytes.Index(region[i:], []byte("\r\n*"))
		if j < 0 {
			break
		}
		start := int64(i + j + 2)
		res, err := rp.parse(start)
		if err != nil {
			return 0, false, err
		}
		if res.status == parsedOK {
			return off + start, true, nil
		}
		i += j + 1
	}
	return 0, false, nil
}
