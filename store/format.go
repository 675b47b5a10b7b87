package store

import (
	"bufio"
	"io"
	"strconv"
	"time"
)

// The data file is buntdb's append-only file: a sequence of RESP arrays of
// bulk strings, one per record:
//
//	*3\r\n$3\r\nset\r\n$<len>\r\n<key>\r\n$<len>\r\n<value>\r\n
//	*5\r\n$3\r\nset\r\n...<key>...<value>$2\r\nae\r\n$<n>\r\n<unix seconds>\r\n
//	*2\r\n$3\r\ndel\r\n$<len>\r\n<key>\r\n
//	*1\r\n$7\r\nflushdb\r\n
//
// buntdb writes each commit with a single write call, in no particular order
// of keys, so nothing in its format says where a commit ends. This package
// adds that: every commit it makes also sets the reserved key commitKey to
// the number of records the commit writes, itself included, and every file
// it writes from scratch (compaction, backup, a new database) starts with
// such a record. A file whose first record sets commitKey is "marked": its
// records group into commits, and a commit missing records at the end of the
// file is an interrupted append, dropped as a whole.

// Limits on the elements of a record. They bound what the checker accepts
// and what (*Tx).Set stores.
const (
	// MaxKeySize is the largest key, in bytes, that a Tx stores and that
	// CheckFile accepts (64 KiB).
	MaxKeySize = 64 << 10
	// MaxValueSize is the largest value, in bytes, that a Tx stores and
	// that CheckFile accepts (16 MiB).
	MaxValueSize = 16 << 20
)

const (
	// commitKey is the reserved key whose records mark commits. Keys that
	// start with a zero byte are reserved for the package.
	commitKey = "\x00store:commit"
	// maxCommandSize is the longest command name ("flushdb").
	maxCommandSize = 7
	// maxExpireArgSize is the length of "ex" and "ae".
	maxExpireArgSize = 2
	// maxExpireValueSize is the number of digits of the largest int64.
	maxExpireValueSize = 19
	// maxCommitCount bounds the record count a commit marker may state.
	maxCommitCount = 1<<31 - 1
)

// bulkSize is the encoded size of a bulk string of n bytes.
func bulkSize(n int) int64 {
	digits := int64(1)
	for v := n; v >= 10; v /= 10 {
		digits++
	}
	return 1 + digits + 2 + int64(n) + 2
}

// setRecordSize is the encoded size of a plain set record.
func setRecordSize(keyLen, valueLen int) int64 {
	return 4 + bulkSize(3) + bulkSize(keyLen) + bulkSize(valueLen)
}

// delRecordSize is the encoded size of a del record.
func delRecordSize(keyLen int) int64 {
	return 4 + bulkSize(3) + bulkSize(keyLen)
}

// appendBulk appends s as a bulk string.
func appendBulk(buf []byte, s string) []byte {
	buf = append(buf, '$')
	buf = strconv.AppendInt(buf, int64(len(s)), 10)
	buf = append(buf, '\r', '\n')
	buf = append(buf, s...)
	return append(buf, '\r', '\n')
}

// appendSetRecord appends a set record exactly as buntdb writes it. A zero
// expiresAt means the item does not expire.
func appendSetRecord(buf []byte, key, value string, expiresAt time.Time) []byte {
	if expiresAt.IsZero() {
		buf = append(buf, "*3\r\n"...)
		buf = appendBulk(buf, "set")
		buf = appendBulk(buf, key)
		return appendBulk(buf, value)
	}
	buf = append(buf, "*5\r\n"...)
	buf = appendBulk(buf, "set")
	buf = appendBulk(buf, key)
	buf = appendBulk(buf, value)
	buf = appendBulk(buf, "ae")
	return appendBulk(buf, strconv.FormatInt(expiresAt.Unix(), 10))
}

// snapshotItem is one live item of a snapshot. Strings are immutable, so a
// snapshot holds references into the database without copying values.
type snapshotItem struct {
	key, value string
	expiresAt  time.Time
}

// writeSnapshot writes items as a marked file: a commit marker that counts
// every record of the file, then one set record per item. It returns the
// number of bytes written.
func writeSnapshot(w io.Writer, items []snapshotItem) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var total int64
	buf := appendSetRecord(nil, commitKey, markerValue(len(items)+1, 0), time.Time{})
	for i := 0; ; i++ {
		if len(buf) >= 32<<10 || i == len(items) {
			n, err := bw.Write(buf)
			total += int64(n)
			if err != nil {
				return total, err
			}
			buf = buf[:0]
		}
		if i == len(items) {
			break
		}
		it := items[i]
		buf = appendSetRecord(buf, it.key, it.value, it.expiresAt)
	}
	return total, bw.Flush()
}
