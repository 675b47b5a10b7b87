package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"unsafe"
)

// Every value this package stores is wrapped in an envelope: the CRC-32C
// (Castagnoli) of the record's plain value and key (recordSum), as 4 bytes
// big-endian,
// followed by the plain value. The Tx adds the envelope on Set and checks
// and strips it on every read, so callers see plain values; the file checker
// and compaction check it too. The file keeps buntdb's layout, and buntdb
// loads it as it is.
//
// The commit marker is enveloped like any value. Its plain value is
// "<records>:<deletes digest>": the number of records of the commit, itself
// included, and 8 hex digits that are the XOR of delDigest over the keys the
// commit deletes (a del record has no value to carry a checksum of its own).
// A file whose commit markers hold bare numbers predates checksums; Open
// converts it.

// envelopeLen is the size of the envelope's checksum.
const envelopeLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrDamaged is matched by the error of a read whose record fails its
// checksum: the bytes in memory are not the ones that were written.
var ErrDamaged = errors.New("store: damaged record")

// recordSum is the checksum of a set record of key with the plain value:
// the CRC-32C of the value, the key, and the key's length as 4 bytes big
// endian. The key comes after the value so that the search for a key with
// one changed byte (recoverKey) hashes the value once, not once per try.
func recordSum(key, value string) uint32 {
	return keySum(crc32.Update(0, castagnoli, readOnly(value)), key)
}

// readOnly returns the bytes of s without copying them, for functions that
// only read their argument (a checksum). Converting instead copied every
// value the store read or wrote, 90 MB at the start of a store that size.
func readOnly(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// keySum continues the checksum of a value with key and its length.
func keySum(valueSum uint32, key string) uint32 {
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(key)))
	c := crc32.Update(valueSum, castagnoli, readOnly(key))
	return crc32.Update(c, castagnoli, l[:])
}

// delDigest is what a deleted key adds (by XOR) to its commit's digest.
func delDigest(key string) uint32 {
	return recordSum(key, "\x00del")
}

// seal returns the stored form of value under key.
func seal(key, value string) string {
	b := make([]byte, envelopeLen, envelopeLen+len(value))
	binary.BigEndian.PutUint32(b, recordSum(key, value))
	return string(append(b, value...))
}

// unseal checks the stored form of a value under key and returns the plain
// value; ok is false when the checksum does not match or the value is too
// short to hold one.
func unseal(key, stored string) (value string, ok bool) {
	if len(stored) < envelopeLen {
		return "", false
	}
	sum := binary.BigEndian.Uint32([]byte(stored[:envelopeLen]))
	value = stored[envelopeLen:]
	return value, sum == recordSum(key, value)
}

// markerValue is the stored value of a commit marker.
func markerValue(records int, dels uint32) string {
	return seal(commitKey, strconv.Itoa(records)+":"+fmt.Sprintf("%08x", dels))
}

// parseMarker reads a checksummed commit marker's stored value. ok is false
// when the checksum or the syntax is wrong.
func parseMarker(stored string) (records int, dels uint32, ok bool) {
	plain, ok := unseal(commitKey, stored)
	if !ok {
		return 0, 0, false
	}
	n, d, found := cut(plain, ':')
	if !found || len(d) != 8 || !canonicalUint([]byte(n)) {
		return 0, 0, false
	}
	records, err := strconv.Atoi(n)
	if err != nil || records < 1 || records > maxCommitCount {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(d, 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return records, uint32(v), true
}

// cut is strings.Cut on a byte.
func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// wrapLess makes an index's less function compare plain values.
func wrapLess(less func(a, b string) bool) func(a, b string) bool {
	return func(a, b string) bool {
		return less(plainPart(a), plainPart(b))
	}
}

// plainPart drops the envelope without checking it, for ordering only.
func plainPart(s string) string {
	if len(s) < envelopeLen {
		return ""
	}
	return s[envelopeLen:]
}

// pivotValue gives an index pivot the envelope's length, so that wrapLess
// compares it as the plain pivot.
func pivotValue(pivot string) string {
	return "\x00\x00\x00\x00" + pivot
}
