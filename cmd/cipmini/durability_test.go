package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/store"
)

// roomBusyPeriods asks the daemon for room-1's busy time over the next
// month and returns the FREEBUSY lines.
func roomBusyPeriods(t *testing.T, d *daemonProc) []string {
	t.Helper()
	from := time.Now().UTC().Truncate(24 * time.Hour)
	r, err := d.client(t).FreeBusy(context.Background(), []byte("ATTENDEE: room-1@cipmini.local\r\nDTSTART: "+
		from.Format(icalUTC)+"\r\nDTEND: "+from.AddDate(0, 1, 0).Format(icalUTC)+"\r\n"))
	if err != nil || !r.Completion.OK {
		t.Fatalf("FREEBUSY: %v %+v", err, r)
	}
	var out []string
	for _, l := range strings.Split(string(r.Data), "\r\n") {
		if strings.HasPrefix(l, "FREEBUSY") {
			out = append(out, l)
		}
	}
	return out
}

// bookRoom books room-1 as alice for the i-th booking.
func bookRoom(t *testing.T, d *daemonProc, i int) {
	t.Helper()
	c := d.client(t)
	if r, err := c.Authenticate(context.Background(), "alice", "wonderland"); err != nil || !r.Completion.OK {
		t.Fatalf("login: %v %+v", err, r)
	}
	send(t, c, roomBooking("alice@cipmini.local", i))
}

// daemonGet returns the status and body of a GET on the daemon.
func daemonGet(t *testing.T, d *daemonProc, path string) (int, string) {
	t.Helper()
	resp, body := httpGet(t, httpBase(t, d)+path)
	return resp.StatusCode, body
}

// threeBookings runs a daemon that books room-1 three times, and returns
// the data directory.
func threeBookings(t *testing.T) string {
	data := t.TempDir()
	d := startDaemon(t, "", data)
	for i := 0; i < 3; i++ {
		bookRoom(t, d, i)
	}
	d.stop(t)
	return data
}

// A changed byte inside the second booking's record: check --data names
// its offset and key and fails; the server starts, serves the other
// bookings, keeps the damaged one's time busy, and says so on /healthz and
// /metrics.
func TestDamagedRecordDaemon(t *testing.T) {
	t.Parallel()
	data := threeBookings(t)
	path := filepath.Join(data, store.DefaultFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key := "event:flash-000001@cipmini.local"
	k := bytes.Index(b, []byte(key+"\r\n"))
	if k < 0 {
		t.Fatalf("no record of %s in the file", key)
	}
	recStart := bytes.LastIndex(b[:k], []byte("*3\r\n"))
	w := k + bytes.Index(b[k:], []byte("Weekly"))
	b[w] ^= 0x20 // "weekly": a plausible change that no parser notices
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := runCmd(t, "", "check", "--data", data)
	if err == nil {
		t.Fatalf("check --data passed a damaged file:\n%s", out)
	}
	if want := fmt.Sprintf("damaged: offset %d to %d, key %q: the record fails its checksum", recStart, recStart+bytes.Index(b[recStart+1:], []byte("*3\r\n"))+1, key); !strings.Contains(out, want) {
		t.Fatalf("check --data does not say %q:\n%s", want, out)
	}
	if !strings.Contains(out, "holds busy time") {
		t.Errorf("check --data does not say what the record holds:\n%s", out)
	}

	d := startDaemon(t, "", data)
	if !strings.Contains(d.log.String(), "store: damaged record taken out of the data file into quarantine") {
		t.Errorf("the damage was not logged:\n%s", d.log)
	}
	if ps := roomBusyPeriods(t, d); len(ps) != 3 {
		t.Fatalf("room-1 busy periods %q: want the two intact bookings and the damaged one's time", ps)
	}
	if code, body := daemonGet(t, d, "/healthz"); code != 200 || body != "degraded: 1 damaged records in quarantine\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if _, body := daemonGet(t, d, "/metrics"); !strings.Contains(body, "\ncipmini_store_quarantined_records 1\n") {
		t.Errorf("/metrics lacks the quarantine count:\n%s", body)
	}
	q, err := store.ReadQuarantine(data)
	if err != nil || len(q) != 1 || q[0].Key != key || q[0].Offset != int64(recStart) {
		t.Fatalf("quarantine %+v, %v", q, err)
	}
	d.stop(t)
	if out, err := runCmd(t, "", "check", "--data", data); err != nil || !strings.Contains(out, "1 damaged records taken out earlier") {
		t.Fatalf("check --data after the repair: %v\n%s", err, out)
	}
}

// A few changed bytes against the real daemon: it starts and reports, or
// refuses with the restore command; it never panics or hangs.
func TestChangedBytesDaemon(t *testing.T) {
	t.Parallel()
	data := threeBookings(t)
	good, err := os.ReadFile(filepath.Join(data, store.DefaultFileName))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(15))
	started, refused := 0, 0
	defer func() { t.Logf("%d started and reported, %d refused", started, refused) }()
	for n := 0; n < 4; n++ {
		off := rng.Intn(len(good))
		b := append([]byte(nil), good...)
		b[off] ^= byte(1 + rng.Intn(255))
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, store.DefaultFileName), b, 0o600)
		d, err := launchDaemon("", dir)
		if err != nil {
			if !strings.Contains(err.Error(), "cipmini restore --data "+dir+" --latest") {
				t.Fatalf("offset %d: refused without the restore command: %v", off, err)
			}
			refused++
			continue
		}
		if code, body := daemonGet(t, d, "/healthz"); code != 200 || !strings.HasPrefix(body, "degraded: 1 ") && !strings.Contains(d.log.String(), "cut off like an interrupted append") {
			t.Errorf("offset %d: /healthz %d %q", off, code, body)
		}
		if ps := roomBusyPeriods(t, d); len(ps) < 2 {
			t.Errorf("offset %d: busy periods %q", off, ps)
		}
		started++
		d.stop(t)
		if strings.Contains(d.log.String(), "panic") {
			t.Fatalf("offset %d: %s", off, d.log)
		}
	}
}

// Snapshots at the set hour with the clock moved, rotated to backup_keep in
// backups/ and backup_dir; a data file destroyed, the start refused with the
// restore command, and restore --latest brings back a working server.
func TestDailySnapshotsAndRestoreLatest(t *testing.T) {
	t.Parallel()
	data, usb := t.TempDir(), t.TempDir()
	cfg := filepath.Join(t.TempDir(), "cipmini.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("backup_at = \"03:00\"\nbackup_keep = 2\nbackup_dir = %q\n", usb)+demoConfig), 0o600)
	env, next, setClock := backupAtClock(t)
	setClock(0)
	d, err := launchDaemonEnv(env, cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	bookRoom(t, d, 0)
	bookRoom(t, d, 1)
	waitSnapshots := func(want int, newest string) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			a, _ := store.Snapshots(filepath.Join(data, store.BackupDir))
			u, _ := store.Snapshots(usb)
			if len(a) == want && len(u) == want && filepath.Base(a[0]) != newest && filepath.Base(a[0]) == filepath.Base(u[0]) {
				return filepath.Base(a[0])
			}
			if time.Now().After(deadline) {
				t.Fatalf("snapshots %v and %v, want %d new ones:\n%s", a, u, want, d.log)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	first := waitSnapshots(1, "")
	if !strings.HasPrefix(first, "cipmini-"+next.Format("20060102T03")) {
		t.Errorf("snapshot %s not at the set hour %v", first, next)
	}
	// A day without a change writes no snapshot: each day books room-1
	// further ahead than the month roomBusyPeriods looks at.
	bookRoom(t, d, 40)
	setClock(1)
	second := waitSnapshots(2, first)
	bookRoom(t, d, 41)
	setClock(2)
	third := waitSnapshots(2, second)
	if a, _ := store.Snapshots(filepath.Join(data, store.BackupDir)); filepath.Base(a[1]) != second {
		t.Errorf("rotation kept %v, want the two newest (%s, %s)", a, third, second)
	}
	if !strings.Contains(d.log.String(), "cipmini: daily snapshot written") {
		t.Error("the snapshot was not logged")
	}
	if _, body := daemonGet(t, d, "/metrics"); !strings.Contains(body, "\ncipmini_backup_snapshots_total 6\n") {
		t.Errorf("/metrics lacks the snapshot count (3 days, 2 directories)")
	}
	d.stop(t)

	// The SD card loses the data file: no readable commit marker.
	path := filepath.Join(data, store.DefaultFileName)
	garbage := make([]byte, 4096)
	rand.New(rand.NewSource(3)).Read(garbage)
	os.WriteFile(path, garbage, 0o600)
	_, err = launchDaemon(cfg, data)
	want := "cipmini restore --data " + data + " --latest"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("start on a destroyed file: want a refusal naming %q, got %v", want, err)
	}
	// The newest snapshot in backups/ is damaged too: --latest passes
	// over it to the one on the stick.
	a, _ := store.Snapshots(filepath.Join(data, store.BackupDir))
	os.WriteFile(a[0], garbage[:100], 0o600)
	out, err := runCmd(t, "", "restore", "--config", cfg, "--data", data, "--latest")
	if err != nil || !strings.Contains(out, "restored "+filepath.Join(usb, third)) {
		t.Fatalf("restore --latest: %v\n%s", err, out)
	}
	d = startDaemon(t, cfg, data)
	if ps := roomBusyPeriods(t, d); len(ps) != 2 {
		t.Fatalf("after restore --latest: busy periods %q, want the two bookings", ps)
	}
	bookRoom(t, d, 2)
}

// respSet is a set record in the data file's format.
func respSet(key, value string) string {
	return fmt.Sprintf("*3\r\n$3\r\nset\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(key), key, len(value), value)
}

// A data file in the format from before checksums (commit markers holding
// bare counts, plain values) is converted at the first start: every
// booking survives and the old file is kept; a second start changes
// nothing.
func TestOldFormatConvertedDaemon(t *testing.T) {
	t.Parallel()
	data := threeBookings(t)
	db, err := store.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	var old strings.Builder
	const marker = "\x00store:commit"
	old.WriteString(respSet(marker, "1"))
	keys := 0
	db.View(func(tx *store.Tx) error {
		return tx.Ascend("", func(k, v string) bool {
			old.WriteString(respSet(k, v) + respSet(marker, "2"))
			keys++
			return true
		})
	})
	db.Close()
	path := filepath.Join(data, store.DefaultFileName)
	if err := os.WriteFile(path, []byte(old.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "", data)
	if ps := roomBusyPeriods(t, d); len(ps) != 3 {
		t.Fatalf("after the conversion: busy periods %q, want the three bookings", ps)
	}
	if !strings.Contains(d.log.String(), "store: converted the data file to checksummed records") {
		t.Errorf("the conversion was not logged:\n%s", d.log)
	}
	d.stop(t)
	if kept, err := os.ReadFile(path + store.PreChecksumSuffix); err != nil || string(kept) != old.String() {
		t.Fatalf("the old file was not kept: %v", err)
	}
	converted, _ := os.ReadFile(path)
	if out, err := runCmd(t, "", "check", "--data", data); err != nil || !strings.Contains(out, fmt.Sprintf("checksummed: %d intact records", keys+1)) {
		t.Fatalf("check --data on the converted file: %v\n%s", err, out)
	}
	d = startDaemon(t, "", data)
	if ps := roomBusyPeriods(t, d); len(ps) != 3 {
		t.Fatalf("second start: busy periods %q", ps)
	}
	d.stop(t)
	if strings.Contains(d.log.String(), "converted") {
		t.Errorf("the second start converted again:\n%s", d.log)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, converted) {
		t.Error("the second start changed the data file")
	}
}
