package sched

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"sync/atomic"
)

// Bounds of reading an archive file, which may be damaged or hostile.
const (
	// maxArchiveMember bounds the text one gzip member may inflate to: a
	// nightly batch is at most retireBatch events (about 1 MiB of text); a
	// member past it is read as damaged.
	maxArchiveMember = 64 << 20
	// maxArchiveInflate bounds the text inflated in one reading of one
	// archive file; past it the rest of the file is not read.
	maxArchiveInflate = 512 << 20
)

// gzipMagic starts every gzip member written with deflate (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b, 0x08}

// archivesSetAside counts damaged archive files moved aside since start.
var archivesSetAside atomic.Int64

// ArchivesSetAside returns how many damaged yearly archive files this
// process moved aside (to YEAR.ics.gz.damaged-UNIX) instead of appending
// to them. Safe for concurrent use.
func ArchivesSetAside() int64 { return archivesSetAside.Load() }

var errInflateCap = errors.New("store: archive: member inflates past its bound")

// capReader returns errInflateCap once more than n bytes were read.
type capReader struct {
	r    io.Reader
	n    int64
	used int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.used >= c.n {
		return 0, errInflateCap
	}
	if int64(len(p)) > c.n-c.used {
		p = p[:c.n-c.used]
	}
	n, err := c.r.Read(p)
	c.used += int64(n)
	return n, err
}

// memberWalk is what walkMembers found in one archive file.
type memberWalk struct {
	size      int64 // the file's size
	goodEnd   int64 // end of the last whole member
	damaged   bool  // some bytes are no whole member
	midDamage bool  // damage with a whole member after it
	cut       bool  // the inflate budget ended the reading early
}

// tornTail reports whether the only damage is after the last whole member
// (a batch torn by a crash), which may be cut off; a file with no whole
// member at all is not taken for one.
func (w memberWalk) tornTail() bool {
	return w.damaged && !w.midDamage && !w.cut && w.goodEnd > 0
}

// walkMembers reads the gzip members of f (size bytes) from the start,
// giving fn (if not nil) the text of each as it inflates, bounded. A
// member that does not read whole is skipped: the reading resumes at the
// next gzip header after its start. Memory is bounded by fn's; time by
// maxArchiveInflate.
func walkMembers(f *os.File, size int64, fn func(io.Reader)) (memberWalk, error) {
	w := memberWalk{size: size}
	budget := int64(maxArchiveInflate)
	br := bufio.NewReader(nil)
	var zr *gzip.Reader
	for off := int64(0); off < size; {
		br.Reset(io.NewSectionReader(f, off, size-off))
		cr := &countingReader{r: br}
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(cr)
		} else {
			err = zr.Reset(cr)
		}
		whole := false
		if err == nil {
			zr.Multistream(false)
			lr := &capReader{r: zr, n: min(maxArchiveMember, budget)}
			if fn != nil {
				fn(lr)
			}
			_, err = io.Copy(io.Discard, lr)
			budget -= lr.used
			whole = err == nil
			if errors.Is(err, errInflateCap) && budget <= 0 {
				w.cut, w.damaged = true, true
				return w, nil
			}
		}
		if whole {
			if w.damaged {
				w.midDamage = true
			}
			off += cr.n
			w.goodEnd = off
			continue
		}
		w.damaged = true
		next, err := findMagic(f, off+1, size)
		if err != nil {
			return w, err
		}
		if next < 0 {
			break
		}
		off = next
	}
	return w, nil
}

// findMagic returns the offset of the first gzip header at or after from,
// or -1.
func findMagic(f *os.File, from, size int64) (int64, error) {
	if from >= size {
		return -1, nil
	}
	br := bufio.NewReaderSize(io.NewSectionReader(f, from, size-from), 32<<10)
	var buf [64 << 10]byte
	keep := 0
	pos := from // offset of buf[0]
	for {
		n, err := io.ReadFull(br, buf[keep:])
		n += keep
		if i := bytes.Index(buf[:n], gzipMagic); i >= 0 {
			return pos + int64(i), nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return -1, nil
			}
			return -1, err
		}
		// Keep the last two bytes: a header may straddle the reads.
		keep = len(gzipMagic) - 1
		copy(buf[:keep], buf[n-keep:n])
		pos += int64(n - keep)
	}
}
