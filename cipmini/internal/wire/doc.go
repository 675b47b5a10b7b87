// Package wire holds the framing of CIP as cipmini speaks it: the bounded
// line reader, the dot-terminated data block reader and writer, the
// command-line parser and the text sanitizer of answers. The Server and
// Client of package cipmini are built on it; nothing here knows about
// sessions, identities or backends.
//
// Every reader is bounded (a line by its limit, a block by its limit and
// by four times that while draining), reads without copying where it can,
// and leaves the stream in sync after a limit breach it reports as such.
// None of its types is safe for concurrent use.
package wire
