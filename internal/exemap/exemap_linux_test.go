package exemap

import (
	"os"
	"syscall"
	"testing"
)

// written is an initialised variable: it lives in the binary's writable,
// file-backed data, whose changed pages Release must keep.
var written = [2048]int64{1, 2, 3}

func TestReleaseDropsReadOnlyPagesOnly(t *testing.T) {
	written[0], written[len(written)-1] = 42, 7
	pm := openPagemap(t)
	pm.touch(t)
	before := pm.present()
	if before < pm.pages*9/10 {
		t.Fatalf("before: %d of the executable's %d read-only pages mapped after reading them all", before, pm.pages)
	}
	n, err := Release()
	after := pm.present() // first: the code that runs in between maps pages back
	if written[0] != 42 || written[1] != 2 || written[len(written)-1] != 7 {
		t.Fatalf("written variables changed by Release: %v %v %v; want 42 2 7", written[0], written[1], written[len(written)-1])
	}
	if err != nil {
		t.Fatal(err)
	}
	if after < 0 {
		t.Fatal("reading /proc/self/pagemap after Release failed")
	}
	t.Logf("advised %d KB; read-only pages mapped: %d before, %d after", n>>10, before, after)
	if n < int64(pm.pages*os.Getpagesize()) {
		t.Errorf("advised %d bytes, less than the %d pages of read-only mappings", n, pm.pages)
	}
	if after > before/2 {
		t.Errorf("after Release: %d read-only pages mapped, before %d; want at most half", after, before)
	}
}

// pagemap counts which pages of the executable's read-only mappings are
// mapped (/proc/self/pagemap), with everything it needs set up in advance
// so that counting runs as little code as it can.
type pagemap struct {
	fd     int
	ranges []mapping
	pages  int
	buf    []byte
}

func openPagemap(t *testing.T) *pagemap {
	t.Helper()
	ro, err := readOnly()
	if err != nil {
		t.Fatal(err)
	}
	pm := &pagemap{ranges: ro}
	code := false
	for _, m := range ro {
		pm.pages += int(m.hi-m.lo) / os.Getpagesize()
		code = code || m.perms[2] == 'x'
	}
	if !code {
		t.Fatalf("the executable's read-only mappings %+v hold no code", ro)
	}
	if pm.pages == 0 {
		t.Fatal("no read-only mapping of the executable")
	}
	if pm.fd, err = syscall.Open("/proc/self/pagemap", syscall.O_RDONLY, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(pm.fd) })
	pm.buf = make([]byte, pm.pages*8)
	return pm
}

// touch maps every page of the ranges by reading them through
// /proc/self/mem, which faults them into the process as its own reads would.
func (pm *pagemap) touch(t *testing.T) {
	t.Helper()
	f, err := os.Open("/proc/self/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, r := range pm.ranges {
		if _, err := f.ReadAt(make([]byte, r.hi-r.lo), int64(r.lo)); err != nil {
			t.Fatalf("reading %#x-%#x: %v", r.lo, r.hi, err)
		}
	}
}

func (pm *pagemap) present() int {
	n := 0
	for _, r := range pm.ranges {
		page := uint64(os.Getpagesize())
		b := pm.buf[:(r.hi-r.lo)/page*8]
		if k, err := syscall.Pread(pm.fd, b, int64(r.lo/page*8)); err != nil || k != len(b) {
			return -1
		}
		for i := 7; i < len(b); i += 8 {
			n += int(b[i] >> 7) // bit 63: present
		}
	}
	return n
}

func TestParseMapping(t *testing.T) {
	for _, c := range []struct {
		line string
		want mapping
		ok   bool
	}{
		{"00400000-01617000 r-xp 00000000 fe:00 10094906                           /tmp/mc", mapping{0x400000, 0x1617000, "r-xp", "fe:00", 10094906}, true},
		{"028dc000-02af2000 rw-p 024dc000 fe:00 10094906   /tmp/a dir/mc (deleted)", mapping{0x28dc000, 0x2af2000, "rw-p", "fe:00", 10094906}, true},
		{"c000000000-c000400000 rw-p 00000000 00:00 0 ", mapping{0xc000000000, 0xc000400000, "rw-p", "00:00", 0}, true},
		{"7ffd1000-7ffd3000 r-xp 00000000 00:00 0                          [vdso]", mapping{0x7ffd1000, 0x7ffd3000, "r-xp", "00:00", 0}, true},
		{"Rss:                 772 kB", mapping{}, false},
		{"01617000-00400000 r--p 01217000 fe:00 1", mapping{}, false},
		{"zz-01 r--p 0 fe:00 1", mapping{}, false},
	} {
		got, ok := parseMapping(c.line)
		if got != c.want || ok != c.ok {
			t.Errorf("parseMapping(%q) = %+v, %v; want %+v, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}
