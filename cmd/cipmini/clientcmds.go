package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/locate"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// clientFlags are the flags shared by the commands that talk to servers.
type clientFlags struct {
	server      *string
	login       *string
	password    *string
	timeout     *time.Duration
	dnsResolver *string
}

func addClientFlags(fs *flag.FlagSet) *clientFlags {
	return &clientFlags{
		server:      fs.String("server", "", "the CIP server's `address` (host:port); default: each user's server, found by DNS SRV"),
		login:       fs.String("login", "", "log in with this `identity` (a user or a server id) first"),
		password:    fs.String("password", "", "the `password` for --login"),
		timeout:     fs.Duration("timeout", 30*time.Second, "time allowed for each server's exchange"),
		dnsResolver: fs.String("dns-resolver", "", "host:port of the DNS server to use instead of the system's"),
	}
}

// exchange connects to --server, or else to the server of serverID found by
// SRV, logs in when asked to, runs one command within --timeout, and says
// QUIT.
func (cf *clientFlags) exchange(serverID string, do func(ctx context.Context, c *cipmini.Client) (*cipmini.Reply, error)) (*cipmini.Reply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), *cf.timeout)
	defer cancel()
	var c *cipmini.Client
	var err error
	if *cf.server != "" {
		c, err = cipmini.Dial(ctx, *cf.server)
	} else {
		c, err = locate.New(*cf.dnsResolver, nil).Dial(ctx, serverID)
	}
	if err != nil {
		return nil, err
	}
	defer c.Quit(ctx)
	if *cf.login != "" {
		r, err := c.Authenticate(ctx, *cf.login, *cf.password)
		if err == nil {
			err = r.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("cipmini: login as %s: %w", *cf.login, err)
		}
	}
	return do(ctx, c)
}

// byServer groups user ids by their server id (the domain), in order.
func byServer(users []string) (servers []string, groups map[string][]string) {
	groups = map[string][]string{}
	for _, u := range users {
		_, d, _ := strings.Cut(u, "@")
		if groups[d] == nil {
			servers = append(servers, d)
		}
		groups[d] = append(groups[d], u)
	}
	return servers, groups
}

// readInput reads a file, or standard input for "-", at most 1 MiB.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(b) > 1<<20 {
		return nil, errors.New("cipmini: input over 1 MiB")
	}
	return b, nil
}

// printReply prints the informational lines and the completion of an answer
// and turns a NO into an error.
func printReply(w io.Writer, r *cipmini.Reply) error {
	for _, in := range r.Info {
		fmt.Fprintln(w, in.String())
	}
	fmt.Fprintln(w, r.Completion.String())
	if !r.Completion.OK {
		return errors.New("cipmini: the server answered NO")
	}
	return nil
}

func cmdSend(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("send", stderr)
	cf := addClientFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: cipmini send [--server ADDR] [--login ID --password PW] FILE|-")
		return errUsage
	}
	data, err := readInput(fs.Arg(0), stdin)
	if err != nil {
		return err
	}
	send := func(ctx context.Context, c *cipmini.Client) (*cipmini.Reply, error) { return c.SendEvent(ctx, data) }
	if *cf.server != "" {
		r, err := cf.exchange("", send)
		if err != nil {
			return err
		}
		return printReply(stdout, r)
	}
	// To each attendee's server, found by SRV: one line per attendee.
	evs, err := vcal.ParseEvents(data, nil)
	if err != nil {
		return fmt.Errorf("cipmini: %s: %w", fs.Arg(0), err)
	}
	var users []string
	for _, a := range evs[0].Attendees {
		users = append(users, a.Address)
	}
	servers, groups := byServer(users)
	failed := false
	for _, server := range servers {
		r, err := cf.exchange(server, send)
		for _, u := range groups[server] {
			fmt.Fprintf(stdout, "%s: %s\n", u, outcome(u, r, err))
		}
		if err != nil || !r.Completion.OK {
			failed = true
		}
	}
	if failed {
		return errors.New("cipmini: not every server took the event")
	}
	return nil
}

// outcome describes what a server's answer says of one user.
func outcome(user string, r *cipmini.Reply, err error) string {
	if err != nil {
		return "not delivered: " + err.Error()
	}
	for _, in := range r.Info {
		if strings.EqualFold(in.Args, user) || strings.HasPrefix(strings.ToLower(in.Args), "user "+user+" ") {
			return in.String()[2:] + " (" + r.Completion.String() + ")"
		}
	}
	if r.Completion.OK {
		return "stored (" + r.Completion.String() + ")"
	}
	return r.Completion.String()
}

// cmdRSVP sends one attendee's answer to the server that owns the event:
// --server, or the owner's server found by SRV.
func cmdRSVP(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("rsvp", stderr)
	cf := addClientFlags(fs)
	uid := fs.String("uid", "", "the event's `UID`")
	attendee := fs.String("attendee", "", "the answering attendee's user `id`")
	owner := fs.String("owner", "", "the event owner's user `id` (to find its server when --server is not given)")
	status := fs.String("status", "accepted", "the answer: accepted, declined, tentative or needs-action")
	seq := fs.Int("sequence", 0, "the SEQUENCE of the version answered")
	comment := fs.String("comment", "", "a comment for the organizer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st := strings.ToUpper(*status)
	if *uid == "" || *attendee == "" || (*cf.server == "" && *owner == "") ||
		(st != "ACCEPTED" && st != "DECLINED" && st != "TENTATIVE" && st != "NEEDS-ACTION") {
		fmt.Fprintln(stderr, "usage: cipmini rsvp [--server ADDR | --owner ID] [--login ID --password PW] --uid UID --attendee ID [--status accepted|declined|tentative] [--sequence N] [--comment TEXT]")
		return errUsage
	}
	var data strings.Builder
	fmt.Fprintf(&data, "UID:%s\r\nSEQUENCE:%d\r\nATTENDEE;PARTSTAT=%s:mailto:%s\r\n", *uid, *seq, st, *attendee)
	if *comment != "" {
		fmt.Fprintf(&data, "COMMENT:%s\r\n", vcal.EscapeText(*comment))
	}
	_, server, _ := strings.Cut(*owner, "@")
	r, err := cf.exchange(server, func(ctx context.Context, c *cipmini.Client) (*cipmini.Reply, error) {
		return c.RSVP(ctx, []byte(data.String()))
	})
	if err != nil {
		return err
	}
	return printReply(stdout, r)
}

func cmdFreeBusy(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("freebusy", stderr)
	cf := addClientFlags(fs)
	now := time.Now().UTC()
	from := fs.String("from", now.Format("2006-01-02"), "start of the window: `date` (2006-01-02, 20060102), UTC date-time (20060102T150405Z) or RFC 3339")
	to := fs.String("to", "", "end of the window (default: 7 days after --from)")
	ics := fs.Bool("ics", false, "print the VFREEBUSY calendar as the server sent it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: cipmini freebusy [--server ADDR] [--from T] [--to T] [--ics] USER...")
		return errUsage
	}
	start, err := parseWhen(*from)
	if err != nil {
		return err
	}
	end := start.AddDate(0, 0, 7)
	if *to != "" {
		if end, err = parseWhen(*to); err != nil {
			return err
		}
	}
	window := fmt.Sprintf("DTSTART:%s\r\nDTEND:%s\r\n", start.Format(icalUTC), end.Format(icalUTC))
	servers, groups := []string{""}, map[string][]string{"": fs.Args()}
	if *cf.server == "" {
		servers, groups = byServer(fs.Args())
	}
	var failed error
	for _, server := range servers {
		var req strings.Builder
		for _, u := range groups[server] {
			fmt.Fprintf(&req, "ATTENDEE:%s\r\n", u)
		}
		req.WriteString(window)
		r, err := cf.exchange(server, func(ctx context.Context, c *cipmini.Client) (*cipmini.Reply, error) {
			return c.FreeBusy(ctx, []byte(req.String()))
		})
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", strings.Join(groups[server], ", "), err)
			failed = err
			continue
		}
		if *ics {
			stdout.Write(r.Data)
		} else if r.Data != nil {
			if err := printBusyTable(stdout, r.Data); err != nil {
				return err
			}
		}
		for _, in := range r.Info {
			fmt.Fprintln(stderr, in.String())
		}
		if !r.Completion.OK {
			failed = fmt.Errorf("cipmini: the server answered %s", r.Completion)
		}
	}
	return failed
}

// icalUTC is the layout of an iCalendar UTC date-time.
const icalUTC = caltime.UTCLayout

// parseWhen reads --from or --to: a date (midnight UTC), a UTC date-time or
// RFC 3339, as caltime.ParseWhen does.
func parseWhen(s string) (time.Time, error) {
	t, err := caltime.ParseWhen(s)
	if err != nil {
		return t, fmt.Errorf("cipmini: %w", err)
	}
	return t, nil
}

// printBusyTable prints the busy periods of a VFREEBUSY answer, one line
// each: user, start, end (UTC), type.
func printBusyTable(w io.Writer, data []byte) error {
	fbs, err := vcal.ParseFreeBusy(data, nil)
	if err != nil {
		return fmt.Errorf("cipmini: reading the free/busy answer: %w", err)
	}
	for _, fb := range fbs {
		user := strings.Join(fb.Attendees, ",")
		fmt.Fprintf(w, "%s  %s .. %s\n", user, fb.Start.Format(tableTime), fb.End.Format(tableTime))
		if len(fb.Periods) == 0 {
			fmt.Fprintln(w, "  free")
		}
		for _, p := range fb.Periods {
			fmt.Fprintf(w, "  %s  %s  %s\n", p.Start.Format(tableTime), p.End.Format(tableTime), p.Type)
		}
	}
	return nil
}

const tableTime = "2006-01-02 15:04Z"
