package store

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// An open DB keeps the data file written with zeros ahead of its data (the
// reserve), so that appending a commit neither grows the file nor
// allocates blocks: the sync after it is then an fdatasync that flushes
// the commit's blocks and no metadata, where an fsync of a growing file
// also commits the file system's journal (the inode's size, the block
// bitmap). On the development machine's ext4 that is 280 to 300 µs
// against 460 to 710 µs for a 13.5 KB commit, and the journal's blocks
// are most of what a commit wrote to flash.
//
// The zeros are not part of the format: Close cuts them off, and Open and
// CheckFile treat zero bytes after the last complete commit as a reserve
// that a stop without Close left, and cut them. A build from before the
// reserve cuts them too, as an interrupted append.
const (
	// ReserveBytes is how far ahead of the data the reserve reaches when
	// it is renewed: an open DB's data file holds at most this many zero
	// bytes after its data, on top of its Stats().FileSize.
	ReserveBytes = 256 << 10
	// reserveLow is what is left of the reserve when it is renewed: a
	// commit larger than that may grow the file, which only costs that
	// commit's sync a journal commit.
	reserveLow = 64 << 10
)

// zeroTail returns how many zero bytes end b: 0 when every byte is zero,
// so that a file of zeros is still checked (and refused) as it is.
func zeroTail(b []byte) int {
	n := len(b) - len(bytes.TrimRight(b, "\x00"))
	if n == len(b) {
		return 0
	}
	return n
}

// fileZeroTail is zeroTail for the first size bytes of f, read backwards
// from the end in blocks.
func fileZeroTail(f io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	end := size
	for end > 0 {
		n := min(int64(len(buf)), end)
		chunk := buf[:n]
		if _, err := f.ReadAt(chunk, end-n); err != nil {
			return 0, err
		}
		if data := int64(len(bytes.TrimRight(chunk, "\x00"))); data > 0 {
			return size - (end - n + data), nil
		}
		end -= n
	}
	return 0, nil // every byte is zero
}

// reserve renews the data file's reserve when less than reserveLow of it
// is left after the data, which ends at end: it writes zeros up to
// ReserveBytes past end. The sync that follows makes them durable with
// the commits. A failure (a full file system) is logged and keeps the
// zeros written so far: appends past them grow the file, each such sync is
// a full one, and the next attempt waits until the data has grown by
// ReserveBytes, so that a full file system is not retried, nor logged, at
// every commit. The caller holds writeMu.
func (db *DB) reserve(end int64) {
	if db.reserved-end >= reserveLow || end < db.reserveRetry {
		return
	}
	from := max(db.reserved, end)
	to := end + ReserveBytes
	n, err := writeZeros(db.dataFile, from, to)
	db.bytesWritten.Add(n)
	if err != nil {
		db.log.Warn("store: could not reserve space ahead of the data", "file", db.path, "err", err)
		db.reserved, db.reserveRetry = from+n, end+ReserveBytes
		return
	}
	db.reserved = to
}

// writeZeros writes zeros to f from offset from up to to, a page at a
// time: written in larger pieces, the page cache keeps them as larger
// folios, and a commit then dirties a whole folio where it wrote a few
// hundred bytes (the flash benchmark's dirtied bytes per booking went from
// 6.4 KB to 21 KB with 64 KiB pieces; what reached the device did not
// change on this kernel).
// It returns how many bytes it wrote.
func writeZeros(f *os.File, from, to int64) (int64, error) {
	zeros := make([]byte, min(to-from, 4<<10))
	off := from
	for off < to {
		n, err := f.WriteAt(zeros[:min(int64(len(zeros)), to-off)], off)
		off += int64(n)
		if err != nil {
			return off - from, err
		}
	}
	return off - from, nil
}

// cutReserve cuts the reserve off the data file, which holds end bytes of
// data, so that a closed data file ends with its last commit. It cuts only
// zeros: should the file hold anything else past end, it is left as it
// is, and logged. The caller holds writeMu and swapMu.
func (db *DB) cutReserve(end int64) error {
	if db.reserved <= end {
		return nil
	}
	fi, err := db.dataFile.Stat()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	zeros, err := fileZeroTail(db.dataFile, fi.Size())
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if fi.Size()-zeros > end {
		db.log.Error("store: data past the counted end of the data file; its reserve is left for the next Open to cut",
			"file", db.path, "counted", end, "data_end", fi.Size()-zeros)
		return nil
	}
	if err := db.dataFile.Truncate(end); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	db.reserved = 0
	db.syncs.Add(1)
	if err := db.dataFile.Sync(); err != nil {
		return fmt.Errorf("store: fsync %s: %w", db.path, err)
	}
	return nil
}
