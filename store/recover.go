package store

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// recoverRegion reads a damaged region leniently, as a set record whose
// framing bytes were changed, and proves its key and value by the
// checksum. It returns the key as read when nothing is proven. A set record
// starts with the fixed "*3\r\n$3\r\nset\r\n$", taken as it should be;
// the rest is read twice: by its length fields, skipping the CRLFs
// whatever they hold, and by its CRLFs, ignoring the length fields.
func recoverRegion(raw []byte) (key, value string, ok bool) {
	const prefix = len("*3\r\n$3\r\nset\r\n$")
	if len(raw) < prefix {
		return "", "", false
	}
	var cands [][2]string
	if k, v, ok := byLengths(raw[prefix:]); ok {
		cands = append(cands, [2]string{k, v})
	}
	if parts := bytes.SplitN(raw[prefix:], []byte("\r\n"), 4); len(parts) == 4 && len(parts[3]) >= 2 {
		cands = append(cands, [2]string{string(parts[1]), string(parts[3][:len(parts[3])-2])})
	}
	for _, c := range cands {
		if _, ok := unseal(c[0], c[1]); ok {
			return c[0], c[1], true
		}
		if k, ok := recoverKey(c[0], c[1]); ok {
			return k, c[1], true
		}
	}
	if k, v, ok := repairHeader(raw); ok {
		return k, v, true
	}
	if len(cands) > 0 {
		return cands[0][0], "", false
	}
	return "", "", false
}

// headerBytes are the bytes a record's framing is made of.
const headerBytes = "0123456789\r\n$*set"

// repairHeader tries each framing byte in each of the first bytes of raw
// (up to 300): a region whose one changed byte made a CR or LF, or
// removed one, parses as a whole set record again with the original. It
// is proven by the checksum.
func repairHeader(raw []byte) (key, value string, ok bool) {
	buf := append([]byte(nil), raw...)
	rp := &recordParser{p: bytesPeeker(buf), keepKeys: true}
	for p := 0; p < len(buf) && p < 300; p++ {
		orig := buf[p]
		for i := 0; i < len(headerBytes); i++ {
			c := headerBytes[i]
			if c == orig {
				continue
			}
			buf[p] = c
			res, err := rp.parse(0)
			if err == nil && res.status == parsedOK && res.rec.end == int64(len(buf)) && res.rec.kind == kindSet {
				k := res.rec.key
				v := string(buf[res.rec.valueOff : res.rec.valueOff+int64(res.rec.valueLen)])
				if _, ok := unseal(k, v); ok {
					return k, v, true
				}
			}
		}
		buf[p] = orig
	}
	return "", "", false
}

// byLengths reads "<n>\r\n<key>\r\n$<m>\r\n<value>" by its lengths.
func byLengths(b []byte) (key, value string, ok bool) {
	n, p, ok := digitsAt(b, 0)
	if !ok || p+2+n > len(b) {
		return "", "", false
	}
	p += 2
	key = string(b[p : p+n])
	p += n + 3 // CRLF and '$'
	m, p, ok := digitsAt(b, p)
	if !ok || p+2+m > len(b) {
		return "", "", false
	}
	p += 2
	return key, string(b[p : p+m]), true
}

// digitsAt reads a decimal number at b[p:] and returns it and the offset
// after it.
func digitsAt(b []byte, p int) (int, int, bool) {
	v, i := 0, p
	for i < len(b) && i-p < 9 && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + int(b[i]-'0')
		i++
	}
	return v, i, i > p
}

// recoverKey looks for the key a set record had before one byte of it was
// changed: the one for which the value's checksum holds. The value is
// hashed once; each try hashes the key only. Keys longer than 256 bytes
// are not searched.
func recoverKey(key, stored string) (string, bool) {
	if len(key) == 0 || len(key) > 256 || len(stored) < envelopeLen {
		return "", false
	}
	want := binary.BigEndian.Uint32([]byte(stored[:envelopeLen]))
	pre := crc32.Update(0, castagnoli, []byte(stored[envelopeLen:]))
	k := []byte(key)
	for i := range k {
		orig := k[i]
		for c := 0; c < 256; c++ {
			if byte(c) == orig {
				continue
			}
			k[i] = byte(c)
			if keySum(pre, string(k)) == want {
				return string(k), true
			}
		}
		k[i] = orig
	}
	return "", false
}

// recoverMarker looks for the commit marker a changed byte came from: the
// stored value that differs from stored in one byte after the checksum
// and whose checksum holds. It returns that value and its count and
// digest. A marker is short, so every byte and every value are tried.
func recoverMarker(stored string) (value string, records int, dels uint32, ok bool) {
	if len(stored) <= envelopeLen || len(stored) > envelopeLen+32 {
		return "", 0, 0, false
	}
	b := []byte(stored)
	for i := envelopeLen; i < len(b); i++ {
		orig := b[i]
		for c := 0; c < 256; c++ {
			if byte(c) == orig {
				continue
			}
			b[i] = byte(c)
			if n, d, ok := parseMarker(string(b)); ok {
				return string(b), n, d, true
			}
		}
		b[i] = orig
	}
	return "", 0, 0, false
}
