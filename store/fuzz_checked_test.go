package store

import (
	"bytes"
	"testing"
)

// checkedSeeds are checksummed files: clean, with a changed byte, torn.
func checkedSeeds() [][]byte {
	var snap bytes.Buffer
	writeSnapshot(&snap, []snapshotItem{
		{key: "event:a", value: seal("event:a", `{"uid":"a","holders":{"room@x.test":"ACCEPTED"},"span":[100,200]}`)},
		{key: "k2", value: seal("k2", "v2")},
	})
	good := snap.Bytes()
	withDel := append(append([]byte(nil), good...),
		joinRecords(rawRecord("del", "k2"), rawRecord("set", commitKey, markerValue(2, delDigest("k2"))))...)
	seeds := [][]byte{good, withDel, good[:len(good)-3]}
	for _, off := range []int{0, 3, 20, 45, 60, 90, len(good) - 1} {
		if off < len(good) {
			b := append([]byte(nil), withDel...)
			b[off] ^= 0x20
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzScanChecked checks the checksummed file checker: it never panics, and
// whatever it keeps as live data passes its checksum: damage is never
// served as good.
func FuzzScanChecked(f *testing.F) {
	for _, s := range append(checkedSeeds(), fuzzSeeds()...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		res := scanChecked(b, 20)
		if res.valid > res.size || res.valid < 0 {
			t.Fatalf("valid %d of %d", res.valid, res.size)
		}
		for k, v := range res.state {
			if k == commitKey {
				t.Fatal("the commit key is in the state")
			}
			if _, ok := unseal(k, v); !ok {
				t.Fatalf("key %q kept with a value that fails its checksum", k)
			}
		}
		for _, d := range res.damage {
			if d.Offset < 0 || d.End > res.size || d.Offset >= d.End {
				t.Fatalf("damage at [%d, %d) in %d bytes", d.Offset, d.End, res.size)
			}
		}
	})
}

// FuzzEnvelope checks seal, unseal and parseMarker: a sealed value opens to
// itself, and no input panics.
func FuzzEnvelope(f *testing.F) {
	f.Add("event:a", "value", "")
	f.Add("", "", "\x00\x00\x00\x00")
	f.Add(commitKey, "3:0000abcd", markerValue(3, 0xabcd))
	f.Fuzz(func(t *testing.T, key, value, stored string) {
		if v, ok := unseal(key, seal(key, value)); !ok || v != value {
			t.Fatalf("seal/unseal of %q, %q gave %q, %v", key, value, v, ok)
		}
		unseal(key, stored)
		if n, d, ok := parseMarker(stored); ok && markerValue(n, d) != stored {
			t.Fatalf("marker %q parsed as %d, %x", stored, n, d)
		}
		lenientSpans([]byte(stored))
		lenientHolders([]byte(stored))
		recoverRegion([]byte(stored))
	})
}
