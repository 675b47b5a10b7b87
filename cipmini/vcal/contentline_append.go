package vcal

// AppendContentLine appends the content line "name:value" and its CRLF to
// dst, folded like Encode's output (no line over MaxLineOctets octets, a
// UTF-8 sequence never split), for writers that stream many components
// without building them (an ICS feed). value must already be in its
// type's form (EscapeText for TEXT); a CR or LF in it, which no escaped
// value holds, is left out so that the line stays one line. It allocates
// nothing beyond dst's growth and is safe for concurrent use.
func AppendContentLine(dst []byte, name, value string) []byte {
	n := 0
	put := func(c byte) {
		switch {
		case c&0xC0 == 0x80: // continuation byte: never fold before it
			if n >= MaxLineOctets {
				dst, n = append(dst, "\r\n "...), 1
			}
		case n+seqLen(c) > MaxLineOctets:
			dst, n = append(dst, "\r\n "...), 1
		}
		dst = append(dst, c)
		n++
	}
	for i := 0; i < len(name); i++ {
		put(name[i])
	}
	put(':')
	for i := 0; i < len(value); i++ {
		if c := value[i]; c != '\r' && c != '\n' {
			put(c)
		}
	}
	return append(dst, "\r\n"...)
}
