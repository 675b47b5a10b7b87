package sched

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
)

// ArchiveDirName is the directory, inside the data directory, that holds
// the archive of retired events: one file per year, "2026.ics.gz", each an
// iCalendar stream (one VCALENDAR object per event) compressed with gzip as
// a series of gzip members, one per nightly batch.
const ArchiveDirName = "archive"

// archiveSuffix ends the name of every yearly archive file.
const archiveSuffix = ".ics.gz"

// maxArchiveEntry bounds one archived VCALENDAR object when reading.
const maxArchiveEntry = 4 << 20

// appendArchive appends the iCalendar objects to the archive file of year,
// as one gzip member, and fsyncs it (and the directories, when it made
// them) before it returns: an event is deleted from the live store only
// after it is on disk here. A member left torn by a crash (damage after
// the last whole member) is cut off first, so that every complete member
// stays readable; a file damaged anywhere else is moved aside whole, to
// YEAR.ics.gz.damaged-UNIX (FindArchived still reads it), logged and
// counted (ArchivesSetAside), and a new file is started.
//
// verified caches, per archive path, the size up to which the file was
// found or written whole by this process, so that a night's append reads
// the year's file only the first time; it may be nil. log may be nil.
func appendArchive(dataDir string, year int, objects []string, verified map[string]int64, log *slog.Logger) error {
	dir := filepath.Join(dataDir, ArchiveDirName)
	made := false
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("store: archive: %w", err)
		}
		made = true
	}
	path := filepath.Join(dir, strconv.Itoa(year)+archiveSuffix)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: archive: %w", err)
	}
	defer func() { f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: archive: %w", err)
	}
	created := fi.Size() == 0
	good, ok := verified[path]
	if !ok || good != fi.Size() {
		w, err := walkMembers(f, fi.Size(), nil)
		if err != nil {
			return fmt.Errorf("store: archive: %w", err)
		}
		switch {
		case !w.damaged:
			good = fi.Size()
		case w.tornTail():
			good = w.goodEnd
			if err := f.Truncate(good); err != nil {
				return fmt.Errorf("store: archive: cutting a torn batch off %s: %w", path, err)
			}
		default:
			f.Close()
			aside, err := setAside(path)
			if err != nil {
				return err
			}
			if log == nil {
				log = slog.Default()
			}
			log.Error("store: archive file damaged; moved aside whole and a new one started", "file", path, "moved_to", aside)
			if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
				return fmt.Errorf("store: archive: %w", err)
			}
			good, created = 0, true
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		return fmt.Errorf("store: archive: %w", err)
	}
	bw := bufio.NewWriter(f)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestCompression)
	if err != nil {
		return err
	}
	// A line break first, so that a batch starts on a line of its own
	// whatever the one before ended with.
	if _, err := io.WriteString(zw, "\r\n"); err != nil {
		return fmt.Errorf("store: archive: %w", err)
	}
	for _, o := range objects {
		if _, err := io.WriteString(zw, o); err != nil {
			return fmt.Errorf("store: archive: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("store: archive: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("store: archive: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: archive: fsync %s: %w", path, err)
	}
	if verified != nil {
		if end, err := f.Seek(0, io.SeekCurrent); err == nil {
			verified[path] = end
		}
	}
	if created {
		if err := store.SyncDir(dir); err != nil {
			return err
		}
	}
	if made {
		return store.SyncDir(dataDir)
	}
	return nil
}

// countingReader counts the bytes gzip takes from it; being an
// io.ByteReader, gzip reads no further than it needs.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// setAside renames a damaged archive file to path.damaged-UNIX (never
// over another) and syncs its directory; it returns the new name.
func setAside(path string) (string, error) {
	for ts := time.Now().Unix(); ; ts++ {
		to := path + damagedInfix + strconv.FormatInt(ts, 10)
		if _, err := os.Lstat(to); err == nil {
			continue
		}
		if err := os.Rename(path, to); err != nil {
			return "", fmt.Errorf("store: archive: moving a damaged file aside: %w", err)
		}
		archivesSetAside.Add(1)
		return to, store.SyncDir(filepath.Dir(path))
	}
}

// damagedInfix follows archiveSuffix in the name of a file moved aside.
const damagedInfix = ".damaged-"

// IsArchiveFile reports whether name (a file of ArchiveDirName) is part
// of the archive: a yearly file or one moved aside as damaged, which
// FindArchived reads too.
func IsArchiveFile(name string) bool {
	return strings.HasSuffix(name, archiveSuffix) || strings.Contains(name, archiveSuffix+damagedInfix)
}

// archiveOrder returns the key that sorts archive files by year, a year's
// damaged files (oldest first) before its current one.
func archiveOrder(name string) string {
	if strings.HasSuffix(name, archiveSuffix) {
		return name + "~"
	}
	return name
}

// ArchivedEvent is one event found in the archive.
type ArchivedEvent struct {
	// File is the archive file's name ("2026.ics.gz").
	File string
	// Text is the event as archived: one VCALENDAR object, with the
	// local participants' answers in their ATTENDEE's PARTSTAT and
	// STATUS:CANCELLED for a cancelled event.
	Text string
	// Event is Text parsed.
	Event *vcal.Event
	// History is the event's history as the live store kept it when the
	// event was archived (its newest MaxHistory changes, oldest first);
	// nil for an event archived without one.
	History []HistoryEntry
}

// FindArchived returns the archived copies of the event uid in the archive
// of dataDir, oldest file first and in the order written; a copy written
// twice (a crash between archiving and deleting) is returned once. No
// archive means none found. A torn last batch is skipped. It only reads,
// so it may run alongside a server.
func FindArchived(dataDir, uid string) ([]ArchivedEvent, error) {
	dir := filepath.Join(dataDir, ArchiveDirName)
	names, err := store.ListFiles(dir, "archive", IsArchiveFile)
	if err != nil {
		return nil, err
	}
	sort.Slice(names, func(i, j int) bool { return archiveOrder(names[i]) < archiveOrder(names[j]) })
	var out []ArchivedEvent
	seen := map[string]bool{}
	for _, name := range names {
		err := scanArchive(filepath.Join(dir, name), uid, func(obj []byte) error {
			evs, err := vcal.ParseEvents(obj, storedLimits)
			if err != nil {
				return nil // not ours to judge; skip it
			}
			for _, ev := range evs {
				if ev.UID == uid && !seen[string(obj)] {
					seen[string(obj)] = true
					out = append(out, ArchivedEvent{File: name, Text: string(obj), Event: ev, History: archivedEntries(ev)})
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// scanArchive calls fn with every VCALENDAR object of one archive file
// whose unfolded text mentions uid. A member that does not read whole is
// skipped from where it fails (the objects before are given), and the
// reading resumes at the next gzip header; a line longer than
// maxArchiveEntry skips the rest of its member. Memory is bounded by
// maxArchiveEntry, time by maxArchiveInflate.
func scanArchive(path, uid string, fn func(obj []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: archive: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: archive: %w", err)
	}
	var obj bytes.Buffer
	var fnErr error
	_, err = walkMembers(f, fi.Size(), func(r io.Reader) {
		if fnErr != nil {
			return
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), maxArchiveEntry)
		in := false
		for sc.Scan() {
			line := sc.Bytes()
			if bytes.EqualFold(bytes.TrimSpace(line), []byte("BEGIN:VCALENDAR")) {
				obj.Reset()
				in = true
			}
			if !in {
				continue
			}
			if obj.Len()+len(line) > maxArchiveEntry {
				in = false
				continue
			}
			obj.Write(line)
			obj.WriteString("\r\n")
			if bytes.EqualFold(bytes.TrimSpace(line), []byte("END:VCALENDAR")) {
				in = false
				if mentions(obj.Bytes(), uid) {
					if fnErr = fn(bytes.Clone(obj.Bytes())); fnErr != nil {
						return
					}
				}
			}
		}
	})
	if err != nil {
		return fmt.Errorf("store: archive %s: %w", filepath.Base(path), err)
	}
	return fnErr
}

// mentions reports whether the unfolded text of obj contains uid.
func mentions(obj []byte, uid string) bool {
	if bytes.Contains(obj, []byte(uid)) {
		return true
	}
	unfolded := bytes.ReplaceAll(obj, []byte("\r\n "), nil)
	unfolded = bytes.ReplaceAll(unfolded, []byte("\r\n\t"), nil)
	return bytes.Contains(unfolded, []byte(uid))
}
