package imip

import (
	"strings"

	"github.com/emersion/go-message/textproto"
)

// LoopHeader is the header the door puts on every message it sends; mail
// that carries it came back and is never answered (docs/PROTOCOL.md
// section 16.3).
const LoopHeader = "X-Cipmini-Loop"

// Screen returns why a message must be dropped unanswered, or "" when it
// may be read: a bounce (an empty return path, multipart/report, a
// MAILER-DAEMON sender), an automatic message (Auto-Submitted other than
// "no", RFC 3834 section 5; Precedence bulk, junk or list;
// X-Auto-Response-Suppress asking for no automatic answer), or a loop (the
// LoopHeader naming serverID, or a Message-ID the door made). returnPath
// is the envelope's MAIL FROM, angle brackets optional.
func Screen(returnPath string, h textproto.Header, serverID string) string {
	rp := strings.TrimSpace(returnPath)
	if rp == "" || rp == "<>" {
		return "bounce: empty return path"
	}
	if mt := strings.ToLower(strings.TrimSpace(strings.SplitN(h.Get("Content-Type"), ";", 2)[0])); mt == "multipart/report" {
		return "bounce: multipart/report"
	}
	for _, key := range []string{"From", "Sender"} {
		local, _, _ := strings.Cut(address(h, key), "@")
		if local == "mailer-daemon" || local == "postmaster" {
			return "bounce: sent by " + local
		}
	}
	local, _, _ := strings.Cut(strings.ToLower(strings.Trim(rp, "<>")), "@")
	if local == "mailer-daemon" {
		return "bounce: return path " + local
	}
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return "automatic message: Auto-Submitted: " + v
	}
	switch v := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); v {
	case "bulk", "junk", "list", "auto_reply":
		return "automatic message: Precedence: " + v
	}
	if v := strings.ToLower(h.Get("X-Auto-Response-Suppress")); v != "" {
		for _, f := range strings.Split(v, ",") {
			switch strings.TrimSpace(f) {
			case "all", "autoreply", "oof":
				return "automatic message: X-Auto-Response-Suppress: " + strings.TrimSpace(v)
			}
		}
	}
	for _, v := range h.Values(LoopHeader) {
		if strings.EqualFold(strings.TrimSpace(v), serverID) {
			return "loop: " + LoopHeader + " names this server"
		}
	}
	if id := strings.ToLower(strings.TrimSpace(h.Get("Message-Id"))); strings.HasSuffix(id, ".imip@"+strings.ToLower(serverID)+">") {
		return "loop: a Message-ID of this server"
	}
	return ""
}
