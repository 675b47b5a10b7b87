package store

import "bytes"

// fileFormat is what a data file's bytes prove about its format.
type fileFormat uint8

const (
	// formatEmpty is a file of no bytes.
	formatEmpty fileFormat = iota
	// formatOld is a file from before checksums: nothing in it is
	// sealed, and it is converted.
	formatOld
	// formatChecked is a checksummed file with an intact commit marker.
	formatChecked
	// formatCheckedNoMarker is a checksummed file, as a value that
	// unseals under its own key or a sealed commit marker proves, whose
	// every commit marker is damaged. It is never converted: that would
	// seal the sealed values again and serve their checksums as data.
	formatCheckedNoMarker
)

// classifyFile tells the format of a data file held in memory. A file is
// old only on positive proof: no set record's value unseals under its own
// key (a value from before checksums does so by chance once in 2^32), and
// no record of the commit key, or of a key one byte from it, holds
// anything but a bare number. Damaged framing is stepped over to the next
// record that parses.
func classifyFile(b []byte) fileFormat {
	if len(b) == 0 {
		return formatEmpty
	}
	if hasCheckedMarker(b) {
		return formatChecked
	}
	rp := &recordParser{p: bytesPeeker(b), keepKeys: true}
	for off := int64(0); off < int64(len(b)); {
		res, err := rp.parse(off)
		if err != nil || res.status != parsedOK {
			j := bytes.IndexByte(b[off+1:], '*')
			if j < 0 {
				break
			}
			off += 1 + int64(j)
			continue
		}
		rec := res.rec
		off = rec.end
		if rec.kind != kindSet {
			continue
		}
		value := b[rec.valueOff : rec.valueOff+int64(rec.valueLen)]
		if nearCommitKey(rec.key) {
			if !canonicalUint(value) {
				return formatCheckedNoMarker
			}
			continue
		}
		if _, ok := unseal(rec.key, string(value)); ok {
			return formatCheckedNoMarker
		}
	}
	return formatOld
}

// nearCommitKey says whether key is the commit key or differs from it in
// one byte.
func nearCommitKey(key string) bool {
	if len(key) != len(commitKey) {
		return false
	}
	diff := 0
	for i := 0; i < len(key); i++ {
		if key[i] != commitKey[i] {
			diff++
		}
	}
	return diff <= 1
}

// noMarkerReason reports a checksummed file none of whose commit markers is
// intact.
const noMarkerReason = "the file is checksummed, but none of its commit markers is intact"
