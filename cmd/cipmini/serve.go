package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cipmini/cipmini/cipmini/directory"
)

// errUsage reports a usage error already printed by the flag package.
var errUsage = errors.New("usage")

// shutdownGrace is how long SIGTERM waits for commands in flight.
const shutdownGrace = 20 * time.Second

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cipmini "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return errUsage
		}
		return errUsage
	}
	return nil
}

func cmdServe(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded demo configuration)")
	listen := fs.String("listen", "", "listen `address` (host:port), overriding the configuration")
	dataDir := fs.String("data", "", "data `directory`, overriding the configuration")
	dnsResolver := fs.String("dns-resolver", "", "host:port of the DNS server for finding other servers, overriding the configuration")
	httpListen := fs.String("http-listen", "", "HTTP listen `address` (host:port), overriding the configuration's http_listen")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	boardName := boardFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("cipmini: --log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	board, err := applyBoard(*boardName, cfg)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *dnsResolver != "" {
		cfg.DNSResolver = *dnsResolver
	}
	if *httpListen != "" {
		cfg.HTTPListen = *httpListen
	}
	if *configPath == "" {
		logger.Info("cipmini: no --config given: running the demo configuration", "server_id", cfg.ServerID)
	}
	if mem := startBoard(logger, board, cfg); mem.GOGCFrom == "default" {
		defer startGCTuner()()
	}
	d, err := newDaemon(cfg, logger, net.Listen)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	go func() {
		select {
		case sig := <-sigs:
			logger.Info("cipmini: shutting down", "signal", sig.String())
			cancel()
		case <-ctx.Done():
		}
	}()
	sd := newNotifier(logger)
	defer sd.close()
	return d.Run(ctx, runHooks{
		ready: func(addr net.Addr) {
			sd.ready("serving "+cfg.ServerID+" on "+addr.String(), addr)
		},
		stopping: sd.stopping,
	})
}

func cmdCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded demo configuration)")
	data := fs.String("data", "", "verify the data `directory` offline (checksums, records, busy index) instead of the configuration")
	boardName := boardFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *data != "" {
		return checkData(*data, cfg, stdout)
	}
	board, err := applyBoard(*boardName, cfg)
	if err != nil {
		return err
	}
	dir, err := cfg.Directory()
	if err != nil {
		return err
	}
	users := dir.Users()
	fmt.Fprintf(stdout, "server %s: %d users, %d peers, %d redirects, %d groups; listen %s, data %s\n",
		cfg.ServerID, len(users), len(cfg.Peers), len(cfg.Redirects), len(cfg.Groups), cfg.Listen, cfg.DataDir)
	describeBoard(stdout, board, cfg)
	sec, err := cfg.loadSecurity()
	if err != nil {
		return err
	}
	describeSecurity(stdout, cfg, sec)
	describeQuotas(stdout, cfg)
	for _, uc := range cfg.Users {
		if uc.Password != "" {
			fmt.Fprintf(stdout, "warning: user %s has a plain password: use password_hash (cipmini passwd)\n", uc.Name)
		}
	}
	for _, pc := range cfg.Peers {
		if pc.Password != "" && !strings.HasPrefix(pc.Password, "$2") {
			fmt.Fprintf(stdout, "warning: peer %s has a plain password: use a bcrypt hash (cipmini passwd)\n", pc.ServerID)
		}
	}
	fmt.Fprintln(stdout, "configuration OK")
	return nil
}

func cmdPasswd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("passwd", stderr)
	cost := fs.Int("cost", directory.DefaultHashCost, "bcrypt `cost`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 1024)).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("cipmini: reading the password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return errors.New("cipmini: empty password (give it on standard input)")
	}
	hash, err := directory.HashPassword(pw, *cost)
	if err != nil {
		return fmt.Errorf("cipmini: %w", err)
	}
	fmt.Fprintln(stdout, hash)
	return nil
}
