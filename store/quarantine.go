package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// QuarantineDir is the directory, inside the database directory, that holds
// the damaged records Open took out of the data file: one JSON file each,
// named "<unix nanoseconds>-<offset>.json", with the record's key, offset,
// reason, the busy spans still readable and the raw bytes. They stay until
// an operator removes them; while any is there the DB reports them
// (Quarantined) and their busy spans stay busy.
const QuarantineDir = "quarantine"

// QuarantinedRecord is one file of QuarantineDir.
type QuarantinedRecord struct {
	// File is the data file's name.
	File string `json:"file"`
	// Offset and End delimit the damaged bytes in the data file as it was.
	Offset int64 `json:"offset"`
	End    int64 `json:"end"`
	// Key is the key as far as it could be read ("" when unreadable).
	Key       string `json:"key"`
	Reason    string `json:"reason"`
	Recovered bool   `json:"recovered,omitempty"`
	// Lost is the key whose value was lost, if known.
	Lost string `json:"lost,omitempty"`
	// Spans are busy periods still readable, Unix seconds; Holders the
	// users they were busy for, when readable (else every local user).
	Spans   [][2]int64 `json:"spans,omitempty"`
	Holders []string   `json:"holders,omitempty"`
	// Raw is the damaged bytes.
	Raw []byte `json:"raw"`
}

// writeQuarantine writes one file per damaged record into dir's
// QuarantineDir and fsyncs them and the directory.
func writeQuarantine(dir, file string, stamp int64, damage []Damage) error {
	qdir := filepath.Join(dir, QuarantineDir)
	if err := os.MkdirAll(qdir, 0o700); err != nil {
		return fmt.Errorf("store: quarantine: %w", err)
	}
	for _, d := range damage {
		q := QuarantinedRecord{File: file, Offset: d.Offset, End: d.End, Key: d.Key, Reason: d.Reason,
			Recovered: d.Recovered, Lost: d.Lost, Spans: d.Spans, Holders: d.holders, Raw: d.raw}
		b, err := json.MarshalIndent(q, "", "  ")
		if err != nil {
			return fmt.Errorf("store: quarantine: %w", err)
		}
		name := filepath.Join(qdir, fmt.Sprintf("%d-%d.json", stamp, d.Offset))
		if err := writeSynced(name, b); err != nil {
			return fmt.Errorf("store: quarantine: %w", err)
		}
	}
	return syncDir(qdir)
}

// writeSynced writes b to a new file at path and fsyncs it.
func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadQuarantine returns the records in dir's QuarantineDir, by name. A
// missing directory holds none; a file that does not parse is returned with
// only its Reason set.
func ReadQuarantine(dir string) ([]QuarantinedRecord, error) {
	qdir := filepath.Join(dir, QuarantineDir)
	names, err := ListFiles(qdir, "quarantine", func(name string) bool { return strings.HasSuffix(name, ".json") })
	if err != nil {
		return nil, err
	}
	var out []QuarantinedRecord
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(qdir, name))
		if err != nil {
			return nil, fmt.Errorf("store: quarantine: %w", err)
		}
		var q QuarantinedRecord
		if err := json.Unmarshal(b, &q); err != nil {
			q = QuarantinedRecord{Reason: "unreadable quarantine file " + name}
		}
		out = append(out, q)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out, nil
}

// lenientSpans finds the busy spans of event records in bytes that may be
// damaged JSON, from two independent places, so that one changed byte
// leaves at least one intact: the record's "span":[start,end], and the
// UTC DTSTART and DTEND of its iCalendar text. Only well-formed values
// with start < end are taken; a changed digit may add a wrong span, which
// errs on the side of busy.
func lenientSpans(b []byte) [][2]int64 {
	out := icalSpans(b)
	const tag = `"span":[`
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(tag))
		if j < 0 {
			return out
		}
		i += j + len(tag)
		rest := b[i:]
		end := bytes.IndexByte(rest, ']')
		if end < 0 || end > 45 {
			continue
		}
		a, z, ok := cut(string(rest[:end]), ',')
		if !ok {
			continue
		}
		s, err1 := strconv.ParseInt(a, 10, 64)
		e, err2 := strconv.ParseInt(z, 10, 64)
		if err1 == nil && err2 == nil && s < e {
			out = append(out, [2]int64{s, e})
		}
	}
}

// lenientHolders finds the users of an event record's "holders" object in
// bytes that may be damaged JSON: the quoted names before each colon.
func lenientHolders(b []byte) []string {
	const tag = `"holders":{`
	i := bytes.Index(b, []byte(tag))
	if i < 0 {
		return nil
	}
	rest := b[i+len(tag):]
	end := bytes.IndexByte(rest, '}')
	if end < 0 {
		return nil
	}
	var out []string
	for _, pair := range strings.Split(string(rest[:end]), ",") {
		name, _, ok := cut(pair, ':')
		if !ok {
			continue
		}
		if u, err := strconv.Unquote(name); err == nil && u != "" && strings.IndexByte(u, '@') > 0 {
			out = append(out, u)
		}
	}
	return out
}

// icalSpans reads the UTC DTSTART and DTEND of each VEVENT in b.
func icalSpans(b []byte) [][2]int64 {
	var out [][2]int64
	chunks := bytes.Split(b, []byte("BEGIN:VEVENT"))
	for _, c := range chunks[1:] {
		if end := bytes.Index(c, []byte("END:VEVENT")); end >= 0 {
			c = c[:end]
		}
		start, ok1 := utcProp(c, "DTSTART:")
		end, ok2 := utcProp(c, "DTEND:")
		if ok1 && ok2 && start < end {
			out = append(out, [2]int64{start, end})
		}
	}
	return out
}

// utcProp reads the first UTC date-time value of the property that name
// (with its colon) starts, in Unix seconds.
func utcProp(b []byte, name string) (int64, bool) {
	const layout = "20060102T150405Z"
	i := bytes.Index(b, []byte(name))
	if i < 0 || i+len(name)+len(layout) > len(b) {
		return 0, false
	}
	i += len(name)
	t, err := time.Parse(layout, string(b[i:i+len(layout)]))
	return t.Unix(), err == nil
}
