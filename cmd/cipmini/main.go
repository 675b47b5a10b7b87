// Command cipmini is a room and resource calendar that speaks the Calendaring
// Interoperability Protocol (CIP).
//
//	cipmini serve [--config FILE] [--listen ADDR] [--data DIR] [--board NAME]
//	cipmini check [--config FILE] [--data DIR]
//	cipmini passwd                  (reads a password on stdin, prints its bcrypt hash)
//	cipmini backup [--config FILE] [--data DIR] FILE|-
//	cipmini restore [--config FILE] [--data DIR] FILE|-|--latest
//	cipmini send [--server ADDR] [--login ID --password PW] FILE|-
//	cipmini freebusy [--server ADDR] [--from T --to T] [--ics] USER...
//	cipmini rsvp [--server ADDR | --owner ID] --uid UID --attendee ID --status S
//	cipmini queue [--config FILE] [--data DIR]
//	cipmini log UID [--config FILE] [--data DIR]
//	cipmini answer --server ADDR --login RESOURCE --password PW UID --accept|--decline [--comment TEXT]
//	cipmini cert ca|request|sign ...  (a site CA, device keys, certificates)
//	cipmini version
//
// Without --config, serve runs the embedded demo configuration: the server
// cipmini.local on 127.0.0.1:5229, with room-1, projector and alice, data in
// ./cipmini-data.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise
// the module's build information is used.
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the exit status: 0 for success,
// 1 for a failure, 2 for a usage error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	cmds := map[string]func([]string, io.Reader, io.Writer, io.Writer) error{
		"serve":    cmdServe,
		"check":    cmdCheck,
		"passwd":   cmdPasswd,
		"backup":   cmdBackup,
		"restore":  cmdRestore,
		"send":     cmdSend,
		"freebusy": cmdFreeBusy,
		"rsvp":     cmdRSVP,
		"queue":    cmdQueue,
		"log":      cmdLog,
		"answer":   cmdAnswer,
		"cert":     cmdCert,
		"version": func([]string, io.Reader, io.Writer, io.Writer) error {
			fmt.Fprintln(stdout, "cipmini", versionString())
			return nil
		},
	}
	f, ok := cmds[args[0]]
	if !ok {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "cipmini: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if err := f(args[1:], stdin, stdout, stderr); err != nil {
		if err == errUsage {
			return 2
		}
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: cipmini COMMAND [flags]

  serve      run the CIP server (the embedded demo configuration without --config)
  check      validate a configuration file; with --data DIR, verify a data directory offline
  passwd     read a password on standard input and print its bcrypt hash
  backup     write a consistent copy of the data to FILE (- for standard output)
  restore    replace the data with a backup, or with --latest the newest good daily snapshot
             (the server must be stopped)
  send       deliver an event (iCalendar, vCalendar or the draft's lines) to a server
  freebusy   ask a server for users' busy periods
  rsvp       send an attendee's answer to the server that owns the event
  queue      list the messages waiting for other servers
  log        show an event's history (who changed it, how, the answers) and what the archive holds
  answer     answer an invitation for a resource with the manual policy
  cert       make a site CA, a device key and certificate request, or sign one
  version    print the version

Run 'cipmini COMMAND -h' for a command's flags.
`)
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
