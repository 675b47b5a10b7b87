package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// cmdAnswer lets the person who looks after a resource with the manual
// policy answer an invitation: it logs in to the server as the resource
// and sends its RSVP, which the server stores on the resource's copy and,
// when the organizer is on another server, sends on to it.
func cmdAnswer(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("answer", stderr)
	cf := addClientFlags(fs)
	accept := fs.Bool("accept", false, "accept the invitation")
	decline := fs.Bool("decline", false, "decline the invitation")
	tentative := fs.Bool("tentative", false, "accept tentatively")
	comment := fs.String("comment", "", "a reason or note for the organizer")
	// Flags may come before or after the UID ("answer UID --accept").
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional, args = append(positional, fs.Arg(0)), fs.Args()[1:]
	}
	status := ""
	n := 0
	for _, f := range []struct {
		set bool
		st  string
	}{{*accept, "ACCEPTED"}, {*decline, "DECLINED"}, {*tentative, "TENTATIVE"}} {
		if f.set {
			status, n = f.st, n+1
		}
	}
	if len(positional) != 1 || n != 1 || *cf.login == "" || *cf.server == "" {
		fmt.Fprintln(stderr, "usage: cipmini answer UID --accept|--decline|--tentative [--comment TEXT] --server ADDR --login RESOURCE --password PW")
		return errUsage
	}
	uid := positional[0]
	r, err := cf.exchange("", func(ctx context.Context, c *cipmini.Client) (*cipmini.Reply, error) {
		resource := *cf.login
		if !strings.Contains(resource, "@") {
			resource += "@" + c.ServerID()
		}
		data := fmt.Sprintf("UID:%s\r\nATTENDEE;PARTSTAT=%s:mailto:%s\r\n", uid, status, resource)
		if *comment != "" {
			data += "COMMENT:" + vcal.EscapeText(*comment) + "\r\n"
		}
		return c.RSVP(ctx, []byte(data))
	})
	if err != nil {
		return err
	}
	return printReply(stdout, r)
}
