package imip

import (
	"strings"

	"github.com/emersion/go-message/textproto"
)

// SenderMatches reports whether the message's From address is the one the
// iTIP method makes responsible (RFC 6047 section 3, docs/PROTOCOL.md
// section 16.4): the organizer for REQUEST, CANCEL (and a REFRESH's
// attendee), the answering attendee for REPLY. Addresses compare without
// "mailto:" and case.
func SenderMatches(from, responsible string) bool {
	a := strings.ToLower(strings.TrimSpace(from))
	b := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(responsible, "mailto:"), "MAILTO:")))
	return a != "" && a == b
}

// Authenticated reports whether an Authentication-Results header (RFC 8601)
// of the trusted relay, authservID, says dkim=pass for a signing domain
// aligned with the From address's domain, or spf=pass for a MAIL FROM
// aligned with it. Aligned means the same domain or a subdomain of it, either
// way (relaxed alignment, RFC 7489 section 3.1). Headers of other
// authserv-ids are ignored: the relay is trusted to remove forged copies of
// its own (RFC 8601 section 5).
func Authenticated(h textproto.Header, authservID, from string) bool {
	_, fromDomain, ok := strings.Cut(strings.ToLower(from), "@")
	if !ok || authservID == "" {
		return false
	}
	for _, v := range h.Values("Authentication-Results") {
		id, results := parseAuthResults(v)
		if !strings.EqualFold(id, authservID) {
			continue
		}
		for _, r := range results {
			if r.result != "pass" {
				continue
			}
			var d string
			switch r.method {
			case "dkim":
				d = r.props["header.d"]
				if d == "" {
					_, d, _ = strings.Cut(r.props["header.i"], "@")
				}
			case "spf":
				d = r.props["smtp.mailfrom"]
				if _, dom, ok := strings.Cut(d, "@"); ok {
					d = dom
				}
			default:
				continue
			}
			if aligned(strings.ToLower(d), fromDomain) {
				return true
			}
		}
	}
	return false
}

func aligned(a, b string) bool {
	return a != "" && (a == b || strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a))
}

// authResult is one resinfo of an Authentication-Results header.
type authResult struct {
	method, result string
	props          map[string]string
}

// parseAuthResults splits an Authentication-Results value into its
// authserv-id and results, comments removed; a malformed resinfo is
// skipped.
func parseAuthResults(v string) (string, []authResult) {
	v = stripComments(v)
	fields := strings.Split(v, ";")
	id := strings.Fields(fields[0])
	if len(id) == 0 {
		return "", nil
	}
	var out []authResult
	for _, f := range fields[1:] {
		toks := strings.Fields(f)
		if len(toks) == 0 {
			continue
		}
		m, res, ok := strings.Cut(toks[0], "=")
		if !ok {
			continue
		}
		r := authResult{method: strings.ToLower(m), result: strings.ToLower(strings.Trim(res, `"`)), props: map[string]string{}}
		for _, t := range toks[1:] {
			if k, val, ok := strings.Cut(t, "="); ok {
				r.props[strings.ToLower(k)] = strings.Trim(val, `"`)
			}
		}
		out = append(out, r)
	}
	return id[0], out
}

// stripComments removes (nested) parenthesized comments, outside quotes.
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			if depth == 0 {
				b.WriteByte(s[i+1])
			}
			i++
		case c == '"' && depth == 0:
			quoted = !quoted
			b.WriteByte(c)
		case c == '(' && !quoted:
			depth++
		case c == ')' && !quoted && depth > 0:
			depth--
			b.WriteByte(' ')
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}
