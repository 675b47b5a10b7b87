package main

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var panelPNG = flag.String("panel-png", "", "also write the panel screenshot of TestPanelInChromium to this `file` (docs/panel.png)")

// chromiumPath finds Debian's chromium.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// The room panel in headless Chromium at 800x480 (the Pi touchscreen): it
// loads, books the room for 30 minutes, turns busy, CIP FREEBUSY shows the
// booking, it ends it early and turns free; it fits the screen without
// scrolling, and a phone's width without sideways scrolling.
func TestPanelInChromium(t *testing.T) {
	exe := chromiumPath()
	needTool(t, "chromium", exe != "")
	d := startDaemon(t, writeWebConfig(t, ""), t.TempDir())
	base := httpBase(t, d)
	// Something later today for the list and the timeline, when today has room for it.
	now := time.Now()
	if later := now.Add(2 * time.Hour); later.Day() == now.Day() && later.Add(time.Hour).Day() == now.Day() {
		sendAs(t, d, invitation("later@test", "Design review", later.Truncate(15*time.Minute), later.Truncate(15*time.Minute).Add(time.Hour)))
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true), chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(800, 480),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	// The first run starts the browser and must not carry a timeout.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
	}
	eval := func(expr string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}

	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(800, 480),
		chromedp.Navigate(base+"/room/room-2?pin=4321"),
		chromedp.WaitVisible(css(`body.free`)),
	)
	if err != nil {
		t.Fatalf("loading the panel: %v\n%s", err, d.log)
	}
	if s := text("#status"); s != "Free" {
		t.Fatalf("status %q, want Free", s)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css(`button[data-action="book"]:nth-child(2)`)), // 30 minutes
		chromedp.WaitVisible(css(`body.busy`)),
		chromedp.WaitVisible(css(`button[data-action="end"]`)),
	)
	if err != nil {
		t.Fatalf("booking at the panel: %v\n%s", err, d.log)
	}
	if s, title := text("#status"), text("#title"); s != "Busy" || !strings.Contains(title, "Booked at the room panel") {
		t.Fatalf("after booking: status %q, title %q", s, title)
	}
	if !eval(`document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth`) {
		t.Errorf("the panel does not fit 800x480 without scrolling")
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	saveShot(t, shot)
	from := time.Now().UTC().Add(-time.Minute)
	fb := cipFreeBusy(t, d, "room-2@web.test", from, from.Add(25*time.Minute))
	if len(fb) != 1 || !strings.HasSuffix(fb[0], " BUSY") {
		t.Fatalf("CIP FREEBUSY after booking at the panel: %q", fb)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(css(`button[data-action="end"]`)),
		chromedp.WaitVisible(css(`body.free`)),
	)
	if err != nil {
		t.Fatalf("ending early: %v\n%s", err, d.log)
	}
	if s := text("#status"); s != "Free" {
		t.Fatalf("after ending early: status %q", s)
	}
	fb = cipFreeBusy(t, d, "room-2@web.test", time.Now().UTC().Add(time.Second), time.Now().UTC().Add(20*time.Minute))
	if len(fb) != 0 {
		t.Fatalf("CIP FREEBUSY after ending early: %q", fb)
	}

	// A phone in portrait: no sideways scrolling, the three buttons there.
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Reload(),
		chromedp.WaitVisible(css(`body.free`)),
	)
	if err != nil {
		t.Fatalf("on a phone: %v", err)
	}
	if !eval(`document.documentElement.scrollWidth <= innerWidth && document.querySelectorAll("#buttons button").length == 3`) {
		t.Errorf("on a phone: sideways scrolling or buttons missing")
	}
}

// saveShot writes the screenshot under the test's temp dir, and to
// -panel-png when given.
func saveShot(t *testing.T, png []byte) {
	t.Helper()
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("the screenshot is not a PNG (%d bytes)", len(png))
	}
	p := filepath.Join(t.TempDir(), "panel.png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", p, len(png))
	if *panelPNG != "" {
		if err := os.WriteFile(*panelPNG, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
