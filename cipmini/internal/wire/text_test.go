package wire

import (
	"bufio"
	"bytes"
	"testing"
)

func TestWriteText(t *testing.T) {
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	WriteText(w, "a\r\nb\x00c\nd")
	w.Flush()
	if want := "a  b c d"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

func TestValidArg(t *testing.T) {
	for s, want := range map[string]bool{
		"bill@abc.com": true, "": false, "a b": false, "a\tb": false,
		"a\r": false, "a\n": false, "a\x00": false, "PASSWORD_A": true,
	} {
		if got := ValidArg(s); got != want {
			t.Errorf("ValidArg(%q) = %v, want %v", s, got, want)
		}
	}
}
