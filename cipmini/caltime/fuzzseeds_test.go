package caltime

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/cipmini/cipmini/cipmini/ciptest"
)

// corpusLines returns the unfolded content lines of every calendar file of
// the corpus, read in place, one slice per file.
func corpusLines() [][]string {
	dir := ciptest.CorpusDir()
	if dir == "" {
		return nil
	}
	var files []string
	for _, pat := range []string{"*/*.ics", "*/*.vcs", "*/*/*.ics", "*/*/*.vcs"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	var out [][]string
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		text := strings.ReplaceAll(string(b), "\r\n", "\n")
		text = strings.ReplaceAll(strings.ReplaceAll(text, "\n ", ""), "\n\t", "")
		out = append(out, strings.Split(text, "\n"))
	}
	return out
}

// corpusValues returns the distinct values of the named properties in the
// corpus files.
func corpusValues(names ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, lines := range corpusLines() {
		for _, l := range lines {
			name, value, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			name, _, _ = strings.Cut(name, ";")
			for _, n := range names {
				if strings.EqualFold(name, n) && !seen[value] {
					seen[value] = true
					out = append(out, value)
				}
			}
		}
	}
	return out
}

// corpusZone is one VTIMEZONE of the corpus as FuzzVTimezone takes it.
type corpusZone struct{ dstStart, from, to, dstRule, stdStart, stdRule, rdates string }

// corpusZones returns the VTIMEZONEs of the corpus with their first
// DAYLIGHT and STANDARD observances.
func corpusZones() []corpusZone {
	var out []corpusZone
	for _, lines := range corpusLines() {
		var z corpusZone
		in, sub := false, ""
		for _, l := range lines {
			name, value, _ := strings.Cut(strings.TrimSpace(l), ":")
			name, _, _ = strings.Cut(strings.ToUpper(name), ";")
			switch {
			case name == "BEGIN" && strings.EqualFold(value, "VTIMEZONE"):
				in, z = true, corpusZone{}
			case name == "END" && strings.EqualFold(value, "VTIMEZONE"):
				in = false
				out = append(out, z)
			case !in:
			case name == "BEGIN":
				sub = strings.ToUpper(value)
			case sub == "DAYLIGHT" && name == "DTSTART":
				z.dstStart = value
			case sub == "DAYLIGHT" && name == "TZOFFSETFROM":
				z.from = value
			case sub == "DAYLIGHT" && name == "TZOFFSETTO":
				z.to = value
			case sub == "DAYLIGHT" && name == "RRULE":
				z.dstRule = value
			case sub == "DAYLIGHT" && name == "RDATE":
				z.rdates = value
			case sub == "STANDARD" && name == "DTSTART":
				z.stdStart = value
			case sub == "STANDARD" && name == "RRULE":
				z.stdRule = value
			case sub == "STANDARD" && name == "TZOFFSETTO" && z.from == "":
				z.from, z.to = value, value
			}
		}
	}
	return out
}
