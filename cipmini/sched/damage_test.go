package sched

import (
	"bytes"
	"errors"
	"github.com/cipmini/cipmini/store/storetest"
	"log/slog"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/store"
)

// damageFixture is a small data file written through the Scheduler, with
// what a correct server holds after reading it whole, and before its last
// commit.
type damageFixture struct {
	file       []byte
	lastCommit int64             // offset where the last commit starts
	final      map[string]string // contents after every commit
	before     map[string]string // contents before the last commit
	spans      map[string][2]int64
}

// newDamageFixture books three rooms' events over CIP and adds a commit
// with a delete, so that sets, dels and commit markers are all in the file.
func newDamageFixture(t *testing.T) *damageFixture {
	e := newSchedEnv(t)
	anon := e.client("", "")
	book := func(uid, start, end string) {
		ev := event(uid, 0, stamp1, start, end, "tom@x.test", "room-1@rooms.test")
		expect(t, "booking "+uid, e.send(anon, ev), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	}
	book("d1@x.test", "20270301T100000Z", "20270301T110000Z")
	mustSet(t, e.db, "note:a", "first note")
	book("d2@x.test", "20270302T100000Z", "20270302T110000Z")
	if err := e.db.Update(func(tx *store.Tx) error {
		if err := tx.Delete("note:a"); err != nil {
			return err
		}
		return tx.Set("note:b", "second note")
	}); err != nil {
		t.Fatal(err)
	}
	f := &damageFixture{before: dbContents(t, e.db), lastCommit: e.db.Stats().FileSize}
	book("d3@x.test", "20270303T100000Z", "20270303T110000Z")
	f.final = dbContents(t, e.db)
	f.spans = map[string][2]int64{
		"event:d1@x.test": {time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC).Unix(), time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC).Unix()},
		"event:d2@x.test": {time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC).Unix(), time.Date(2027, 3, 2, 11, 0, 0, 0, time.UTC).Unix()},
		"event:d3@x.test": {time.Date(2027, 3, 3, 10, 0, 0, 0, time.UTC).Unix(), time.Date(2027, 3, 3, 11, 0, 0, 0, time.UTC).Unix()},
	}
	e.stop()
	var err error
	if f.file, err = os.ReadFile(filepath.Join(e.data, store.DefaultFileName)); err != nil {
		t.Fatal(err)
	}
	return f
}

// openDamaged writes data as a data file in a new directory and opens it
// with a Scheduler, as the daemon starts.
func openDamaged(t *testing.T, data []byte, dir *directory.Directory) (*store.DB, *Scheduler, *storetest.LogRecorder, string, error) {
	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, store.DefaultFileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &storetest.LogRecorder{}
	db, err := store.Open(d, &store.Options{Logger: slog.New(rec)})
	if err != nil {
		return nil, nil, rec, d, err
	}
	s, err := NewScheduler(db, dir, quietLog)
	if err != nil {
		db.Close()
		return nil, nil, rec, d, err
	}
	return db, s, rec, d, nil
}

// TestEveryChangedByte changes each byte of a small data file in turn (a
// sample under emulation or -short): the store either refuses with a clear
// error, or opens, serves every record that is intact with its exact value,
// reports what is damaged, and keeps every booking's time busy.
func TestEveryChangedByte(t *testing.T) {
	f := newDamageFixture(t)
	dir := testDirectory(t)
	offsets := make([]int, len(f.file))
	for i := range offsets {
		offsets[i] = i
	}
	rng := rand.New(rand.NewSource(15))
	if testing.Short() || runtime.GOARCH == "arm" {
		// 150 offsets anywhere, and the last 50 bytes, where a change is
		// cut off as an interrupted append.
		last := append([]int(nil), offsets[len(offsets)-50:]...)
		rng.Shuffle(len(offsets)-50, func(i, j int) { offsets[i], offsets[j] = offsets[j], offsets[i] })
		offsets = append(offsets[:150], last...)
	}
	t.Logf("file of %d bytes, last commit at %d, %d offsets", len(f.file), f.lastCommit, len(offsets))
	var refused, quarantined, cut int
	for _, off := range offsets {
		data := append([]byte(nil), f.file...)
		data[off] ^= byte(1 + rng.Intn(255))
		switch f.check(t, dir, data, off) {
		case damageRefused:
			refused++
		case damageQuarantined:
			quarantined++
		case damageCut:
			cut++
		}
	}
	t.Logf("refused %d, quarantined %d, cut as a tail %d", refused, quarantined, cut)
	if quarantined == 0 || cut == 0 {
		t.Errorf("expected both quarantines and tail cuts")
	}
}

// What the store made of a changed byte.
const (
	damageNone = iota // a command word's case: the same record
	damageRefused
	damageQuarantined
	damageCut
)

// check opens data, f.file with the byte at off changed, and fails t
// unless the store refuses it with a clear error, or opens it, serves
// every intact record with its exact value, reports what is damaged, and
// keeps every booking's time busy.
func (f *damageFixture) check(t *testing.T, dir *directory.Directory, data []byte, off int) int {
	t.Helper()
	db, s, rec, _, err := openDamaged(t, data, dir)
	if err != nil {
		if !clearRefusal(err) {
			t.Fatalf("offset %d: refused without a clear error: %v", off, err)
		}
		return damageRefused
	}
	defer db.Close()
	got := dbContents(t, db)
	q := db.Quarantined()
	reported := map[string]bool{}
	for _, r := range q {
		reported[r.Key], reported[r.Lost] = true, true
	}
	inTail := int64(off) >= f.lastCommit
	_, cutLogged := rec.Find(slog.LevelWarn, "store: damage in the last commit: cut off like an interrupted append")
	if commandCase(f.file, off, data[off]) {
		// The store reads a command word without case, as buntdb
		// does (store's TestCheckReplaysLikeBuntdb): "sEt" is the
		// same record, so nothing is damaged and every record is
		// served as written.
		if len(q) > 0 || cutLogged || !maps.Equal(got, f.final) {
			t.Fatalf("offset %d: a command word's case changed, and the file did not read as written", off)
		}
		return damageNone
	}
	kind := damageQuarantined
	if len(q) == 0 {
		if !cutLogged {
			t.Fatalf("offset %d: a changed byte went unreported", off)
		}
		kind = damageCut
	}
	if cutLogged && !inTail {
		t.Fatalf("offset %d: cut as a tail, but the last commit starts at %d", off, f.lastCommit)
	}
	for k, v := range got {
		if v != f.final[k] && !(inTail && v == f.before[k]) {
			t.Fatalf("offset %d: key %q served with a changed value %q (quarantined: %+v)", off, k, v, q)
		}
	}
	for k := range f.final {
		if _, ok := got[k]; ok {
			continue
		}
		if reported[k] {
			continue
		}
		if _, was := f.before[k]; inTail && !was {
			continue // the last commit was cut: its new keys go with it
		}
		t.Fatalf("offset %d: key %q silently lost (quarantined: %+v)", off, k, q)
	}
	// No booking's time is freed, unless its commit was cut.
	for k, sp := range f.spans {
		if _, was := f.before[k]; inTail && !was {
			continue
		}
		ps, err := s.index.busy("room-1@rooms.test", time.Unix(sp[0], 0), time.Unix(sp[1], 0), "")
		if err != nil || len(ps) == 0 {
			t.Fatalf("offset %d: the time of %s was freed (%v)", off, k, err)
		}
	}
	return kind
}

// commandCase reports whether changing file[off] to b only changes the
// case of a letter of a record's command word ("set" or "del").
func commandCase(file []byte, off int, b byte) bool {
	if file[off] == b || !bytes.EqualFold([]byte{file[off]}, []byte{b}) {
		return false
	}
	for start := max(off-2, 0); start <= off; start++ {
		if start < 8 || start+5 > len(file) || file[start-8] != '*' || string(file[start-6:start]) != "\r\n$3\r\n" {
			continue
		}
		word := string(file[start : start+3])
		if (word == "set" || word == "del") && string(file[start+3:start+5]) == "\r\n" {
			return true
		}
	}
	return false
}

// TestPowerLossInLastCommit cuts the file at every offset of its last
// commit, and writes garbage after the cut: the commits before it survive.
func TestPowerLossInLastCommit(t *testing.T) {
	f := newDamageFixture(t)
	dir := testDirectory(t)
	rng := rand.New(rand.NewSource(16))
	step := 1
	if testing.Short() || runtime.GOARCH == "arm" {
		step = 17
	}
	for off := f.lastCommit; off < int64(len(f.file)); off += int64(step) {
		for _, garbage := range []bool{false, true} {
			data := append([]byte(nil), f.file[:off]...)
			if garbage {
				g := make([]byte, 1+rng.Intn(len(f.file)-int(off)+64))
				rng.Read(g)
				data = append(data, g...)
			}
			db, s, _, _, err := openDamaged(t, data, dir)
			if err != nil {
				t.Fatalf("cut at %d (garbage %v): %v", off, garbage, err)
			}
			got := dbContents(t, db)
			if len(got) != len(f.before) {
				t.Fatalf("cut at %d (garbage %v): %d keys, want %d", off, garbage, len(got), len(f.before))
			}
			for k, v := range f.before {
				if got[k] != v {
					t.Fatalf("cut at %d (garbage %v): key %q = %q", off, garbage, k, got[k])
				}
			}
			if len(db.Quarantined()) != 0 {
				t.Fatalf("cut at %d (garbage %v): a torn tail was quarantined", off, garbage)
			}
			sp := f.spans["event:d2@x.test"]
			if ps, _ := s.index.busy("room-1@rooms.test", time.Unix(sp[0], 0), time.Unix(sp[1], 0), ""); len(ps) == 0 {
				t.Fatalf("cut at %d: the acknowledged booking d2 is gone", off)
			}
			db.Close()
		}
	}
}

// clearRefusal reports whether a start refused damaged data with an error
// that says so: DamagedError or CorruptError.
func clearRefusal(err error) bool {
	var de *store.DamagedError
	var ce *store.CorruptError
	return errors.As(err, &de) || errors.As(err, &ce)
}

// TestEveryChangedByteCompacted changes each byte of a compacted data file
// (one commit, one marker) in turn: the store refuses with a clear error
// or serves every key with its exact value, and reports the damage.
func TestEveryChangedByteCompacted(t *testing.T) {
	f := newDamageFixture(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.DefaultFileName), f.file, 0o600); err != nil {
		t.Fatal(err)
	}
	db := mustOpen(t, dir, nil)
	if err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	want := dbContents(t, db)
	db.Close()
	file, err := os.ReadFile(filepath.Join(dir, store.DefaultFileName))
	if err != nil {
		t.Fatal(err)
	}
	offsets := make([]int, len(file))
	for i := range offsets {
		offsets[i] = i
	}
	rng := rand.New(rand.NewSource(15))
	if testing.Short() || runtime.GOARCH == "arm" {
		rng.Shuffle(len(offsets), func(i, j int) { offsets[i], offsets[j] = offsets[j], offsets[i] })
		offsets = append(offsets[:200], 18, 22, 30, 40)
	}
	ddir := testDirectory(t)
	var refused, opened int
	for _, off := range offsets {
		data := append([]byte(nil), file...)
		data[off] ^= byte(1 + rng.Intn(255))
		db, _, rec, d, err := openDamaged(t, data, ddir)
		if err != nil {
			if !clearRefusal(err) {
				t.Fatalf("offset %d: refused without a clear error: %v", off, err)
			}
			refused++
			continue
		}
		opened++
		got := dbContents(t, db)
		q := db.Quarantined()
		reported := map[string]bool{}
		for _, r := range q {
			reported[r.Key], reported[r.Lost] = true, true
		}
		if len(q) == 0 {
			t.Fatalf("offset %d: a changed byte went unreported", off)
		}
		if _, ok := rec.Find(slog.LevelInfo, "store: converted the data file to checksummed records; the old file is kept"); ok {
			t.Fatalf("offset %d: converted as a file from before checksums", off)
		}
		if _, err := os.Stat(filepath.Join(d, store.DefaultFileName+store.PreChecksumSuffix)); err == nil {
			t.Fatalf("offset %d: converted as a file from before checksums", off)
		}
		for k, v := range got {
			if v != want[k] {
				t.Fatalf("offset %d: key %q served with a changed value %q (quarantined: %+v)", off, k, v, q)
			}
		}
		for k := range want {
			if _, ok := got[k]; !ok && !reported[k] {
				t.Fatalf("offset %d: key %q silently lost", off, k)
			}
		}
		db.Close()
	}
	t.Logf("file of %d bytes: refused %d, opened %d", len(file), refused, opened)
	if opened == 0 {
		t.Errorf("no damaged file opened")
	}
}
